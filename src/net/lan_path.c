/*T:895 Where a LAN lives
 * A LAN is a name, and its switch a unix socket under the user's runtime
 * directory ($XDG_RUNTIME_DIR/lguest/lan/NAME.sock, root: /run/lguest/lan/),
 * in a directory only its owner may enter.  The first guest that asks for a
 * LAN with no switch starts one in the background: `lguest lan NAME`, its
 * messages in NAME.log beside the socket, ending with its last port. */
#include "net.h"
#include "../util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* mkdir DIR 0700 unless it is there, ours and closed to others. */
static int private_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return fail("cannot make %s: %s", dir, strerror(errno));
	if (stat(dir, &st) < 0 || st.st_uid != getuid() || (st.st_mode & 077))
		return fail("%s must be a directory of yours that only you can enter (chmod 700)", dir);
	return 0;
}

int lan_path(const char *name, char *path, size_t size, int make_dir)
{
	char dir[200];
	runtime_dir(dir, sizeof(dir));
	if (make_dir && private_dir(dir) < 0)
		return -1;
	strcat(dir, "/lan");
	if (make_dir && private_dir(dir) < 0)
		return -1;
	if ((size_t)snprintf(path, size, "%s/%s.sock", dir, name) >= size)
		return fail("LAN %s: its socket path is too long", name);
	return 0;
}

static int can_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

int lan_spawn(const char *name)
{
	char sock[108], log[120];
	if (lan_path(name, sock, sizeof(sock), 1) < 0)
		return -1;
	snprintf(log, sizeof(log), "%.*s.log", (int)strlen(sock) - 5, sock);
	pid_t pid = fork();
	if (pid == 0) {                 /* the switch's grandparent: no zombie left */
		setsid();
		if (fork() == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
			int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
			dup2(null, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			execl("/proc/self/exe", "lguest", "lan", name, "--auto", (char *)NULL);
		}
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 200; i++) {          /* up to 5 s */
		if (can_connect(sock))
			return 0;
		usleep(25000);
	}
	return fail("--net lan=%s: its switch did not start (see %s)", name, log);
}
