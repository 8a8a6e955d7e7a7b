/*
 * conf_print - show what the configuration means: the resolved settings
 * of every virtual MTA and domain pattern (mta-ctl check-config -v).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

/* A domain pattern written back as in the config. */
static void
pattern_text(const struct confval_domain *d, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	switch (d->kind) {
	case CONFVAL_DOM_ANY:
		(void)snprintf(out, len, "*");
		break;
	case CONFVAL_DOM_EXACT:
		(void)snprintf(out, len, "%s", d->name);
		break;
	case CONFVAL_DOM_SUB:
		(void)snprintf(out, len, "*.%s", d->name);
		break;
	case CONFVAL_DOM_SELFSUB:
		(void)snprintf(out, len, "[*.]%s", d->name);
		break;
	case CONFVAL_DOM_LITERAL:
		if (inet_ntop(d->cidr.af, d->cidr.addr, addr,
		    sizeof(addr)) == NULL)
			(void)strlcpy(addr, "?", sizeof(addr));
		(void)snprintf(out, len, "[%s/%d]", addr, d->cidr.prefix);
		break;
	}
}

/* conf_print_settings - every setting that is not the default */
void
conf_print_settings(const struct conf_settings *s, FILE *fp)
{
	for (size_t i = 0; i < CONF_NDIRECTIVES; i++) {
		const struct conf_directive *d = s->d[i];

		for (; d != NULL; d = conf_multi(i) ? conf_next(d) : NULL)
			fprintf(fp, "    %-28s %-30s # %s:%d\n",
			    d->def->id == CONF_RETRY_RULE ? "retry-after" :
			    d->def->name, d->text, d->file, d->line);
	}
}

struct patlist {
	struct confval_domain *v;
	size_t n;
};

static void
patlist_add(struct patlist *l, const struct conf_block *b)
{
	struct confval_domain *v;

	for (const struct conf_block *k = b->child; k != NULL; k = k->next) {
		if (k->scope != CONF_S_DOMAIN)
			continue;
		for (size_t i = 0; i < k->npats; i++) {
			size_t j;

			for (j = 0; j < l->n; j++)
				if (l->v[j].kind == k->pats[i].dom.kind &&
				    strcmp(l->v[j].name,
				    k->pats[i].dom.name) == 0 &&
				    memcmp(&l->v[j].cidr, &k->pats[i].dom.cidr,
				    sizeof(l->v[j].cidr)) == 0)
					break;
			if (j < l->n)
				continue;
			v = reallocarray(l->v, l->n + 1, sizeof(*v));
			if (v == NULL)
				return;
			l->v = v;
			l->v[l->n++] = k->pats[i].dom;
		}
	}
}

static void
print_vmta(const struct conf *c, const char *vmta, FILE *fp)
{
	struct conf_settings *s;
	struct patlist l = { NULL, 0 };
	char pat[CONFVAL_MAXNAME + 8];

	if ((s = malloc(sizeof(*s))) == NULL)
		return;
	patlist_add(&l, &c->root);
	for (const struct conf_block *b = c->root.child; vmta != NULL &&
	    b != NULL; b = b->next) {
		const struct conf_directive *d;

		if (b->scope == CONF_S_VMTA && strcmp(b->arg, vmta) == 0)
			patlist_add(&l, b);
		if (b->scope != CONF_S_POOL)
			continue;
		for (d = conf_block_next(b, NULL, CONF_VIRTUAL_MTA); d != NULL;
		    d = conf_next(d))
			if (d->str != NULL && strcmp(d->str, vmta) == 0) {
				patlist_add(&l, b);
				break;
			}
	}
	for (size_t i = 0; i < l.n; i++) {
		pattern_text(&l.v[i], pat, sizeof(pat));
		conf_resolve_pattern(c, &l.v[i], vmta, s);
		fprintf(fp, "queue %s%s%s\n", pat, vmta ? "/" : "",
		    vmta ? vmta : "");
		conf_print_settings(s, fp);
	}
	free(l.v);
	free(s);
}

/* conf_print_queues - the settings of every virtual MTA x domain pattern */
void
conf_print_queues(const struct conf *c, FILE *fp)
{
	print_vmta(c, NULL, fp);
	for (const struct conf_block *b = c->root.child; b != NULL;
	    b = b->next)
		if (b->scope == CONF_S_VMTA && b->arg != NULL)
			print_vmta(c, b->arg, fp);
}
