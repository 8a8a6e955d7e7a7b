/*
 * benchwait - wait, cheaply, for what deliver.sh times.
 *
 *   benchwait count LIMIT PID FILE TARGET
 *	until the last "mesg=N" of FILE (smtp-sink -c output) reaches
 *	TARGET; prints "FIRST DONE N": when the count first moved, when it
 *	reached TARGET (ns since the epoch, like date +%s%N), the count.
 *   benchwait line LIMIT PID FILE STRING
 *	until a line of FILE contains STRING; prints "DONE LINE".
 *   benchwait empty LIMIT PID DIR...
 *	until no DIR holds a file, one level of subfolders included;
 *	prints "DONE".
 *
 * Gives up (exit 1) after LIMIT seconds, or when PID (unless 0) is
 * gone.  One process polling every 10 ms (50 ms for a directory) instead
 * of a shell loop forking several a round, which would take CPU from
 * what is measured on a small machine.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TAIL	256		/* the last record of smtp-sink -c fits */
#define LINEMAX	4096

static long long
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	(void)nanosleep(&ts, NULL);
}

/* alive - the watched process is there (or none is watched) */
static int
alive(pid_t pid)
{
	return pid == 0 || kill(pid, 0) == 0 || errno == EPERM;
}

/* sunk - the last "mesg=N" in the tail of the file, or -1 */
static long long
sunk(int fd)
{
	char buf[TAIL + 1], *p, *last = NULL;
	struct stat st;
	off_t off;
	ssize_t n;

	if (fstat(fd, &st) == -1)
		return -1;
	off = st.st_size > TAIL ? st.st_size - TAIL : 0;
	if ((n = pread(fd, buf, TAIL, off)) <= 0)
		return n == 0 ? 0 : -1;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "mesg=")) != NULL; p++)
		last = p;
	return last == NULL ? 0 : strtoll(last + 5, NULL, 10);
}

static int
wait_count(long long deadline, pid_t pid, const char *path,
    long long target)
{
	long long first = 0, start, n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		perror(path);
		return 2;
	}
	start = sunk(fd);
	for (;;) {
		n = sunk(fd);
		if (first == 0 && n > start)
			first = now_ns();
		if (n >= target) {
			printf("%lld %lld %lld\n", first, now_ns(), n);
			return 0;
		}
		if (now_ns() > deadline || !alive(pid)) {
			printf("0 0 %lld\n", n);
			return 1;
		}
		nap(10);
	}
}

/* wait_line - reads what the file gains, a line at a time */
static int
wait_line(long long deadline, pid_t pid, const char *path, const char *s)
{
	char line[LINEMAX], buf[LINEMAX];
	size_t len = 0;
	ssize_t n, i;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		perror(path);
		return 2;
	}
	for (;;) {
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			for (i = 0; i < n; i++) {
				if (buf[i] != '\n') {
					if (len < sizeof(line) - 1)
						line[len++] = buf[i];
					continue;
				}
				line[len] = '\0';
				len = 0;
				if (strstr(line, s) != NULL) {
					printf("%lld %s\n", now_ns(), line);
					return 0;
				}
			}
		}
		if (now_ns() > deadline || !alive(pid))
			return 1;
		nap(10);
	}
}

/* has_file - DIR holds a file here or one level down */
static int
has_file(const char *dir, int depth)
{
	char path[4096];
	struct dirent *e;
	DIR *d;
	int found = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_type == DT_DIR) {
			if (depth > 0 && snprintf(path, sizeof(path), "%s/%s",
			    dir, e->d_name) < (int)sizeof(path))
				found = has_file(path, depth - 1);
		} else
			found = 1;
	}
	(void)closedir(d);
	return found;
}

static int
wait_empty(long long deadline, pid_t pid, char **dirs, int ndirs)
{
	int i;

	for (;;) {
		for (i = 0; i < ndirs && !has_file(dirs[i], 1); i++)
			;
		if (i == ndirs) {
			printf("%lld\n", now_ns());
			return 0;
		}
		if (now_ns() > deadline || !alive(pid))
			return 1;
		nap(50);
	}
}

int
main(int argc, char *argv[])
{
	long long deadline;
	pid_t pid;

	if (argc < 5) {
		fputs("usage: benchwait count|line|empty LIMIT PID ARG...\n",
		    stderr);
		return 2;
	}
	deadline = now_ns() + atoll(argv[2]) * 1000000000LL;
	pid = (pid_t)atol(argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "count") == 0 && argc == 6)
		return wait_count(deadline, pid, argv[4], atoll(argv[5]));
	if (strcmp(argv[1], "line") == 0 && argc == 6)
		return wait_line(deadline, pid, argv[4], argv[5]);
	if (strcmp(argv[1], "empty") == 0)
		return wait_empty(deadline, pid, argv + 4, argc - 4);
	fputs("benchwait: bad arguments\n", stderr);
	return 2;
}
