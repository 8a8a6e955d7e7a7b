/*
 * priv_test - priv_drop: who can be dropped to, and that a dropped
 * process cannot get root back (as root: in a child, to user nobody).
 */
#define _GNU_SOURCE		/* getresuid(2), setresuid(2) */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "priv.h"

static char err[256];

TEST(bad_users)
{
	errno = 0;
	CHECK_INT(priv_drop("no-such-user.mta", err, sizeof(err)), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_STR(err, "user no-such-user.mta: No such file or directory");
	CHECK_INT(priv_drop("root", err, sizeof(err)), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_STR(err, "user root: is root: nothing to drop to");
	CHECK_INT(priv_drop("", err, sizeof(err)), -1);
}

/* In a child: drop to nobody, then try to get root back. */
static int
child_drop(const char *secret)
{
	const struct passwd *pw = getpwnam("nobody");
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid, groups[4];
	int bad = 0;

	if (priv_drop("nobody", err, sizeof(err)) == -1)
		return 1;
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid)
		bad |= 2;
	if (getgroups(4, groups) != 1 || groups[0] != gid)
		bad |= 4;
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
		bad |= 8;
	if (open(secret, O_RDONLY) != -1 || errno != EACCES)
		bad |= 16;
	/* dropping again to the same user is harmless */
	if (priv_drop("nobody", err, sizeof(err)) == -1)
		bad |= 32;
	return bad;
}

TEST(drop)
{
	const struct passwd *pw;
	char secret[] = "/tmp/priv_test.XXXXXX";
	int fd, status;
	pid_t pid;

	if (geteuid() != 0) {
		/* not root: only "drop" to oneself */
		if ((pw = getpwuid(getuid())) != NULL)
			CHECK_INT(priv_drop(pw->pw_name, err, sizeof(err)), 0);
		if ((pw = getpwnam("nobody")) != NULL &&
		    pw->pw_uid != getuid()) {
			CHECK_INT(priv_drop("nobody", err, sizeof(err)), -1);
			CHECK_INT(errno, EPERM);
		}
		return;
	}
	if (getpwnam("nobody") == NULL) {
		test_fail(__FILE__, __LINE__, "no user nobody");
		return;
	}
	CHECK((fd = mkstemp(secret)) != -1);
	CHECK_INT(fchmod(fd, 0600), 0);
	close(fd);
	if ((pid = fork()) == 0)
		_exit(child_drop(secret));
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
	/* the parent is still root */
	CHECK_INT(geteuid(), 0);
	CHECK_INT(unlink(secret), 0);
}

/*
 * In a child: real and effective ids already nobody's, the saved one
 * still root (seteuid-style); the drop must take root away all the same.
 */
static int
child_saved_root(void)
{
	const struct passwd *pw = getpwnam("nobody");
	uid_t uid = pw->pw_uid, ru, eu, su;
	gid_t gid = pw->pw_gid;
	int bad = 0;

	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, 0) == -1)
		return 1;
	if (priv_drop("nobody", err, sizeof(err)) == -1)
		bad |= 2;
	if (getresuid(&ru, &eu, &su) == -1 || ru != uid || eu != uid ||
	    su != uid)
		bad |= 4;
	if (setuid(0) != -1 || seteuid(0) != -1)
		bad |= 8;
	return bad;
}

TEST(saved_root)
{
	int status;
	pid_t pid;

	if (geteuid() != 0 || getpwnam("nobody") == NULL)
		return;
	if ((pid = fork()) == 0)
		_exit(child_saved_root());
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
}

static const struct test_case tests[] = {
	T(bad_users),
	T(drop),
	T(saved_root),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
