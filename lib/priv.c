/*
 * priv - dropping root for good.
 *
 * priv_drop() sets the supplementary groups to the user's primary group
 * alone, then the real, effective and saved group and user ids, and
 * only reports success once it has checked that every id is the user's
 * and that setuid(0) and setgid(0) fail: a process that could get root
 * back has not dropped it.  Called before any thread starts (setresuid
 * changes every thread through glibc, but the check sees only this one).
 */
#define _GNU_SOURCE		/* getresuid(2), setresuid(2) */

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "err.h"
#include "priv.h"

/* dropped - whether every id is uid/gid and root cannot come back */
static int
dropped(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int n;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return 0;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid)
		return 0;
	if ((n = getgroups(2, groups)) == -1 || n > 1 ||
	    (n == 1 && groups[0] != gid))
		return 0;
	if (setuid(0) != -1 || (gid != 0 && setgid(0) != -1))
		return 0;
	return 1;
}

/*
 * priv_drop - become user for good (groups: its primary group only); 0,
 * or -1 with errno set and err filled: ENOENT no such user, EINVAL the
 * user is root, EPERM not root and not already that user
 */
int
priv_drop(const char *user, char *err, size_t errlen)
{
	const struct passwd *pw;
	uid_t uid, ru, eu, su;
	gid_t gid;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno == 0)
			errno = ENOENT;
		err_sys(err, errlen, "user %s", user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0) {
		errno = EINVAL;
		err_msg(err, errlen, "user %s: is root: nothing to drop to",
		    user);
		return -1;
	}
	/*
	 * Not root: already that user, or nothing we can do; unless a
	 * saved id of 0 (or CAP_SETUID) gives root back, which the drop
	 * below then takes away for good.
	 */
	if (geteuid() != 0 && seteuid(0) == -1) {
		if (getresuid(&ru, &eu, &su) == 0 && ru == uid && eu == uid &&
		    su == uid)
			return 0;
		errno = EPERM;
		err_msg(err, errlen, "user %s: only root can become another "
		    "user", user);
		return -1;
	}
	if (setgroups(1, &gid) == -1) {
		err_sys(err, errlen, "user %s: setgroups", user);
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		err_sys(err, errlen, "user %s: setresgid %lu", user,
		    (unsigned long)gid);
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		err_sys(err, errlen, "user %s: setresuid %lu", user,
		    (unsigned long)uid);
		return -1;
	}
	if (!dropped(uid, gid)) {
		errno = EPERM;
		err_msg(err, errlen, "user %s: root privileges remain after "
		    "the drop", user);
		return -1;
	}
	return 0;
}
