"""The code that runs inside the ``namespaces`` sandbox: the zygote and what its forks become.

Standard library only, Python 3.9+: it runs under the function's own interpreter so that an
environment is a fork of a process that has already imported its runtime (``--preload``), not
a fresh interpreter. The platform starts it as root with ``-I -S -B __main__.py``, which loads
this directory as the package ``lambent_inside`` (decision 0010); the platform's side of the
sandbox imports only its declarations and bindings (``wire``, ``libc``, ``loop``, ``seccomp``),
never the program. Annotations are strings (PEP 563) and ``typing`` is imported for type
checking only, so the zygote's heap holds nothing the runtime would not.

Each request to the zygote (the cgroups to join + one descriptor, the spare's link) becomes:

    zygote ──fork──▶ A: setsid; join the cgroups; unshare(mount, pid, ipc, uts, net); fork B,
                       which forks C; mount the spare's /tmp; say "placed" on the link and wait;
                       the platform sends the environment's spec + channel, output, setup (+ a
                       SnapStart template's control socket); send B's pid on the setup socket;
                       build the read-only root from the skeleton with binds (system,
                       interpreter, code, runtime), the size-capped /tmp and a minimal /dev;
                       pivot_root (for all three); hostname; loopback up and the platform API's
                       port listening (its fd is sent on the setup socket); hand C its spec and
                       descriptors; exit.                                         (spare.py)
                     B: PID 1 of the new pid namespace: fork C, then become the reaper binary
                       (reaper.c) as nobody: it exits with C's status when C exits, and the
                       kernel then kills everything left in the namespace.     (children.py)
                     C: wait for A; its own /proc; rlimits; setgroups/setresgid/
                       setresuid; no_new_privs; seccomp; the function's environment; run the
                       preloaded entry point on the channel.                    (runtime.py)

The zygote (``zygote.py``) is a subreaper and reports each B's exit; it never runs user code.
A SnapStart template's C forks restored environments (``restore.py``). A failed step in A or
C writes the step, object and errno to stderr (the environment's log); C then exits with
status 120, so the platform reports a named setup failure.
"""
