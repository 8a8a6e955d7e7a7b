/*
 * acct - PowerMTA's accounting records (mta-acct(8)): record types, the
 * field table, the columns of a file (record-fields), and CSV rows.
 *
 * A layout is the list of columns of one accounting file: "type" first,
 * then the union of the fields of each record type the file holds, in
 * the order they first appear.  A row fills the columns of its own type
 * and leaves the others empty.  Cells are quoted as RFC 4180 asks (by
 * libcsv) only when they hold a comma, a quote, a CR or a LF; rows end
 * with CRLF.
 */
#ifndef MTA_ACCT_H
#define MTA_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "journal.h"

struct conf;

enum acct_type {
	ACCT_D, ACCT_B, ACCT_T, ACCT_TQ, ACCT_R, ACCT_F, ACCT_RB, ACCT_RS,
	ACCT_NTYPES
};

#define ACCT_MAXCOLS	64
#define ACCT_DEFAULT_TYPES	((1u << ACCT_D) | (1u << ACCT_B))

/* One column: a field of the table, or header_NAME. */
struct acct_col {
	int	 field;			/* index in the field table */
	char	 name[64];		/* as written in the header line */
	char	 key[64];		/* journal key: header_X-Y is header-x-y */
};

/* Build with init, fields (per record-fields), finish; heap-size. */
struct acct_layout {
	unsigned types;			/* 1 << enum acct_type */
	size_t	 ncols;
	struct acct_col cols[ACCT_MAXCOLS];
	bool	 has[ACCT_NTYPES][ACCT_MAXCOLS];
	struct acct_col tcols[ACCT_NTYPES][ACCT_MAXCOLS];
	size_t	 tn[ACCT_NTYPES];
	bool	 tset[ACCT_NTYPES];
	bool	 iso_times;		/* else Unix seconds */
	const char *user_string;	/* or NULL */
};

/* A journal record as accounting sees it. */
struct acct_rec {
	enum acct_type type;
	struct journal_outcome o;
	const struct proto_rec *raw;	/* for keys outside the outcome */
};

int	acct_types_parse(const char *, unsigned *, char *, size_t);
bool	acct_conf_wants(const struct conf *, enum acct_type);
const char *acct_type_name(enum acct_type);
int	acct_type_of_verb(const char *);

void	acct_layout_init(struct acct_layout *, unsigned);
int	acct_layout_fields(struct acct_layout *, const char *, char *, size_t);
void	acct_layout_finish(struct acct_layout *);

int	acct_header(struct buf *, const struct acct_layout *);
int	acct_row(struct buf *, const struct acct_layout *,
	    const struct acct_rec *);
int	acct_from_journal(const struct proto_rec *, struct acct_rec *,
	    char *, size_t);

const char *acct_bounce_cat(const char *);
const char *acct_status_text(const char *);

/*
 * The summary of accounting files (acct_summary.c): rows are read by
 * the names of a header line, so PowerMTA's own files count too; a
 * header line may come again (a pipe restarted, files joined).
 */
struct acct_summary;

struct acct_summary *acct_summary_new(void);
int	acct_summary_feed(struct acct_summary *, const void *, size_t,
	    char *, size_t);
int	acct_summary_end(struct acct_summary *, char *, size_t);
int	acct_summary_print(struct acct_summary *, FILE *, bool);
void	acct_summary_free(struct acct_summary *);

#endif
