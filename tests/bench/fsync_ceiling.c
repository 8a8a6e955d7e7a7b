/*
 * fsync_ceiling - what the disk allows a spool that makes every message
 * durable before it answers: files of SIZE bytes created in DIR/tmp,
 * written, made durable, renamed into DIR/new, and DIR/new fsynced.
 *
 *   fsync_ceiling DIR SIZE COUNT BATCH [MODE]
 *
 * BATCH 1: per file open+write+fsync+close, rename, fsync(new).
 * BATCH N: per group of N files open+write each, one syncfs(2), rename
 * each, one fsync(new), close each: what lib/spool.c spool_commit() does
 * for a group.  Prints the files per second (one number) on stdout.
 * MODE (with BATCH 1) tries other protocols for one file at a time:
 *   tmpfile  open(tmp/, O_TMPFILE), write, fdatasync, linkat into new/
 *            (never replaces), fsync(new): no tmp/ entry to sync;
 *   direct   create in new/ with mode 0600, write, fchmod 0640 (the
 *            "complete" mark a reader would check, as Postfix marks its
 *            queue files), fdatasync, fsync(new): no rename.
 * DIR must not exist or be empty; its files are left for the caller.
 */
#define _GNU_SOURCE		/* syncfs(2) */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
die(const char *what)
{
	fprintf(stderr, "fsync_ceiling: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

/* MODE rename: one file (fsync), or a group (syncfs), at a time */
static void
by_rename(int tmpfd, int newfd, int *fds, const char *data, long size,
    long count, long batch)
{
	char name[32];

	for (long done = 0; done < count;) {
		long n = count - done < batch ? count - done : batch;

		for (long i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%08ld", done + i);
			if ((fds[i] = openat(tmpfd, name, O_WRONLY | O_CREAT |
			    O_EXCL, 0640)) == -1)
				die("create");
			write_all(fds[i], data, (size_t)size);
			if (batch == 1 && fsync(fds[i]) == -1)
				die("fsync");
		}
		if (batch > 1 && syncfs(tmpfd) == -1)
			die("syncfs");
		for (long i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%08ld", done + i);
			if (renameat(tmpfd, name, newfd, name) == -1)
				die("rename");
		}
		if (fsync(newfd) == -1)
			die("fsync new");
		for (long i = 0; i < n; i++)
			close(fds[i]);
		done += n;
	}
}

/* BATCH 1 with MODE tmpfile or direct */
static void
one_by_one(int tmpfd, int newfd, const char *mode, const char *data,
    long size, long count)
{
	char name[32], proc[64];
	int fd;

	for (long i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%08ld", i);
		if (strcmp(mode, "tmpfile") == 0) {
			if ((fd = openat(tmpfd, ".", O_TMPFILE | O_WRONLY,
			    0640)) == -1)
				die("O_TMPFILE");
			write_all(fd, data, (size_t)size);
			if (fdatasync(fd) == -1)
				die("fdatasync");
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			if (linkat(AT_FDCWD, proc, newfd, name,
			    AT_SYMLINK_FOLLOW) == -1)
				die("linkat");
		} else {
			if ((fd = openat(newfd, name, O_WRONLY | O_CREAT |
			    O_EXCL, 0600)) == -1)
				die("create");
			write_all(fd, data, (size_t)size);
			if (fchmod(fd, 0640) == -1)
				die("fchmod");
			if (fdatasync(fd) == -1)
				die("fdatasync");
		}
		if (fsync(newfd) == -1)
			die("fsync new");
		close(fd);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	long size, count, batch;
	int rootfd, tmpfd, newfd, *fds;
	char *data;
	const char *mode = argc > 5 ? argv[5] : "rename";
	double t0, t;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: fsync_ceiling DIR SIZE COUNT BATCH "
		    "[rename|tmpfile|direct]\n");
		return 2;
	}
	size = atol(argv[2]);
	count = atol(argv[3]);
	batch = atol(argv[4]);
	if (size <= 0 || count <= 0 || batch <= 0) {
		fprintf(stderr, "fsync_ceiling: SIZE, COUNT, BATCH > 0\n");
		return 2;
	}
	if (strcmp(mode, "rename") != 0 && (batch != 1 ||
	    (strcmp(mode, "tmpfile") != 0 && strcmp(mode, "direct") != 0))) {
		fprintf(stderr, "fsync_ceiling: MODE tmpfile or direct, with "
		    "BATCH 1\n");
		return 2;
	}
	if ((data = malloc((size_t)size)) == NULL ||
	    (fds = calloc((size_t)batch, sizeof(int))) == NULL)
		die("malloc");
	for (long i = 0; i < size; i++)
		data[i] = (i % 77 == 76) ? '\n' : (char)('a' + i % 26);
	if (mkdir(argv[1], 0750) == -1 && errno != EEXIST)
		die(argv[1]);
	if ((rootfd = open(argv[1], O_RDONLY | O_DIRECTORY)) == -1)
		die(argv[1]);
	if ((mkdirat(rootfd, "tmp", 0750) == -1 && errno != EEXIST) ||
	    (mkdirat(rootfd, "new", 0750) == -1 && errno != EEXIST))
		die("mkdir tmp, new");
	if ((tmpfd = openat(rootfd, "tmp", O_RDONLY | O_DIRECTORY)) == -1 ||
	    (newfd = openat(rootfd, "new", O_RDONLY | O_DIRECTORY)) == -1)
		die("open tmp, new");
	if (fsync(rootfd) == -1)
		die("fsync");

	t0 = now();
	if (strcmp(mode, "rename") == 0)
		by_rename(tmpfd, newfd, fds, data, size, count, batch);
	else
		one_by_one(tmpfd, newfd, mode, data, size, count);
	t = now() - t0;
	printf("%.1f\n", (double)count / t);
	return 0;
}
