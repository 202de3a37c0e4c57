/* PID 1 of an environment once it is set up: reap every child, and exit as the runtime did.
 *
 * The environment's first process forks the runtime, drops its privileges (to nobody), then
 * execs this, so that a waiting PID 1 costs a few pages instead of a forked interpreter's
 * megabyte; a restored SnapStart environment's first processes exec it too. Exit status: the
 * runtime's code, or 128 + the signal that killed it, as the Python PID 1 reports it; 120 if it
 * vanished. When PID 1 exits the kernel kills whatever is left in the PID namespace. Linked
 * statically where the C library allows it, so that starting it costs no dynamic loading.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc != 2) return 120;
    pid_t runtime = (pid_t) strtol(argv[1], NULL, 10);
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            return 120;
        }
        if (pid == runtime) {
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return WEXITSTATUS(status);
        }
    }
}
