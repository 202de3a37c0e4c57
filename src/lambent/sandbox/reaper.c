/* PID 1 of an environment: reap every child, and exit as the runtime did.
 *
 * Exec'd by an environment's first process once it has forked the runtime (or by a restored
 * environment's first processes), so that a waiting PID 1 costs a few pages instead of a forked
 * interpreter's megabyte. Started as root, it first becomes nobody: PID 1 needs no privilege.
 * Argument: the runtime's pid in the namespace (a child, or one to become a child when its
 * parent exits). Exit status: the runtime's code, or 128 + the signal that killed it. When PID 1 exits the kernel kills
 * whatever is left in the PID namespace. Linked statically where the C library allows it, so
 * that starting it costs no dynamic loading.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static void on_child(int signo) { (void) signo; }

int main(int argc, char **argv) {
    if (argc != 2) return 120;
    if (geteuid() == 0) {
        if (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 || setresuid(NOBODY, NOBODY, NOBODY) != 0)
            return 120;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 120;
    pid_t runtime = (pid_t) strtol(argv[1], NULL, 10);
    /* The runtime may not be our child yet (it becomes one when the process that forked it
     * exits): sleep until a child exits rather than give up on ECHILD. SIGCHLD stays blocked
     * except inside sigsuspend, so that none is missed between the check and the wait. */
    sigset_t blocked, waiting;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    sigprocmask(SIG_BLOCK, &blocked, &waiting);
    sigdelset(&waiting, SIGCHLD);
    struct sigaction action = {0};
    action.sa_handler = on_child;
    sigaction(SIGCHLD, &action, NULL);
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == runtime) {
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return WEXITSTATUS(status);
        }
        if (pid > 0) continue;  /* an orphan of the function's, reaped */
        if (pid < 0 && errno != ECHILD && errno != EINTR) return 120;
        sigsuspend(&waiting);
    }
}
