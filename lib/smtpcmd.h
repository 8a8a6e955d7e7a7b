/*
 * smtpcmd - parse one SMTP command line (RFC 5321 with the ESMTP
 * parameters of SIZE, 8BITMIME, SMTPUTF8, DSN, AUTH and CHUNKING).
 *
 * The parser knows no session state: it checks the syntax of one line
 * (without its CRLF) and either fills a struct smtpcmd or names the reply
 * the server should give ("501 5.5.4 ...").  Everything it returns is a
 * copy held in the struct, so the line may be reused at once.
 */
#ifndef MTA_SMTPCMD_H
#define MTA_SMTPCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTPCMD_LINEMAX	512	/* a command line with its CRLF */
#define SMTPCMD_PATHMAX	256	/* a path with its <> (RFC 5321 4.5.3.1.3) */
#define SMTPCMD_ENVIDMAX 100	/* ENVID, decoded (RFC 3461 4.4) */

enum smtpcmd_verb {
	SMTPCMD_UNKNOWN,
	SMTPCMD_HELO,
	SMTPCMD_EHLO,
	SMTPCMD_MAIL,
	SMTPCMD_RCPT,
	SMTPCMD_DATA,
	SMTPCMD_BDAT,
	SMTPCMD_RSET,
	SMTPCMD_NOOP,
	SMTPCMD_QUIT,
	SMTPCMD_VRFY,
	SMTPCMD_EXPN,
	SMTPCMD_HELP,
	SMTPCMD_STARTTLS,
	SMTPCMD_AUTH
};

enum smtpcmd_body {
	SMTPCMD_BODY_NONE,
	SMTPCMD_BODY_7BIT,
	SMTPCMD_BODY_8BITMIME
};

struct smtpcmd {
	enum smtpcmd_verb verb;
	char	 arg[SMTPCMD_LINEMAX];	/* what follows the verb and SP */
	/* MAIL and RCPT */
	char	 path[SMTPCMD_PATHMAX];	/* inside <>, no source route */
	/* MAIL */
	bool	 has_size;
	uint64_t size;
	enum smtpcmd_body body;
	bool	 smtputf8;
	char	 ret[8];		/* "full", "hdrs" or "" */
	char	 envid[SMTPCMD_ENVIDMAX + 1];	/* xtext decoded */
	/* RCPT */
	char	 notify[64];		/* "NEVER" or "SUCCESS,FAILURE,DELAY" */
	char	 orcpt[SMTPCMD_LINEMAX];	/* "rfc822;a@b", decoded */
	/* BDAT */
	uint64_t chunk;
	bool	 last;
	/* AUTH: the mechanism and the initial response, or "" */
	char	 mech[32];
	char	 initial[SMTPCMD_LINEMAX];
	/* when smtpcmd_parse() fails: the reply, code and text */
	const char *reply;
};

int	smtpcmd_parse(const char *, size_t, struct smtpcmd *);
const char *smtpcmd_name(enum smtpcmd_verb);

#endif
