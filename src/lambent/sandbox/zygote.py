"""The zygote of the ``namespaces`` sandbox: forks isolated environments from a warm process.

Standard library only, Python 3.9+: it runs under the function's own interpreter so that an
environment is a fork of a process that has already imported its runtime (``--preload``), not
a fresh interpreter. Started by the platform as root with a SOCK_SEQPACKET control socket on
fd 3. Each request (the cgroups to join + one descriptor, the spare's link) becomes:

    zygote ──fork──▶ A: setsid; join the cgroups; unshare(mount, pid, ipc, uts, net); fork B,
                       which forks C; mount the spare's /tmp; say "placed" on the link and wait;
                       the platform sends the environment's spec + channel, output, setup (+ a
                       SnapStart template's control socket); send B's pid on the setup socket;
                       build the read-only root from the skeleton with binds (system,
                       interpreter, code, runtime), the size-capped /tmp and a minimal /dev;
                       pivot_root (for all three); hostname; loopback up and the platform API's
                       port listening (its fd is sent on the setup socket); hand C its spec and
                       descriptors; exit.
                     B: PID 1 of the new pid namespace: fork C, then become the reaper binary
                       (reaper.c) as nobody: it exits with C's status when C exits, and the
                       kernel then kills everything left in the namespace.
                     C: wait for A; its own /proc; rlimits; setgroups/setresgid/
                       setresuid; no_new_privs; seccomp; the function's environment; run the
                       preloaded entry point on the channel.

The zygote is a subreaper: B is reparented to it when A exits, and it reports
``{"t": "exit", "pid", "status"}`` for each B. It never runs user code itself.
A failed step in A or C writes the step, object and errno to stderr (the environment's log);
C then exits with status 120, so the platform reports a named setup failure.
"""

import ctypes
import errno
import fcntl
import importlib.util
import json
import os
import platform
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
#: A restored environment's namespaces (made by itself, unprivileged: see serve_restores).
RESTORE_FLAGS = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
LOOP_CTL_GET_FREE, LOOP_CONFIGURE = 0x4C82, 0x4C0A
LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO = 4, 16
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG = 38, 22, 36, 1
PR_SET_DUMPABLE = 4
MOVE_MOUNT_F_EMPTY_PATH, AT_FDCWD = 4, -100
SECCOMP_MODE_FILTER = 2
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
SETUP_FAILED = 120
NOBODY = 65534
#: The spec's keys the runtime process itself reads (the rest is the root A builds).
RUNTIME_KEYS = ("uid", "gid", "nofile", "env", "cwd", "exec", "extensions")
#: The seccomp programs (an environment's, a SnapStart template's), sent once by the platform.
_SECCOMP = [b"", b""]
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_CAPSET = {"x86_64": 126, "aarch64": 91}
_MOVE_MOUNT = {"x86_64": 429, "aarch64": 429}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


class SetupFailed(Exception):
    def __init__(self, step, obj, err):
        super().__init__("{} {}: {}".format(step, obj, os.strerror(err)))


def _check(result, step, obj):
    if result != 0:
        raise SetupFailed(step, obj, ctypes.get_errno())


def _enc(value):
    return value.encode() if value is not None else None


def mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(_enc(source), _enc(target), _enc(fstype), flags, _enc(data)), "mount " + (fstype or "bind"), target)


def with_loop(image, use):
    """Attach the ext4 image *image* to a free loop device that detaches itself once nothing
    holds it (its mount gone with its mount namespace), and call *use* with the device's path
    while it is held."""
    for attempt in range(200):  # others may take the free device between the two calls: ask again
        control = os.open("/dev/loop-control", os.O_RDWR | os.O_CLOEXEC)
        try:
            number = fcntl.ioctl(control, LOOP_CTL_GET_FREE)
        finally:
            os.close(control)
        device = "/dev/loop{}".format(number)
        loop = os.open(device, os.O_RDWR | os.O_CLOEXEC)
        backing = os.open(image, os.O_RDWR | os.O_CLOEXEC)
        try:
            # struct loop_config: fd, block size, struct loop_info64 (lo_flags at 52), reserved
            info = struct.pack(
                "=5Q4I64s64s32s2Q", 0, 0, 0, 0, 0, 0, 0, 0, LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO, b"", b"", b"", 0, 0
            )
            fcntl.ioctl(loop, LOOP_CONFIGURE, struct.pack("=II", backing, 4096) + info + bytes(64))
        except OSError as exc:
            os.close(loop)
            os.close(backing)
            if exc.errno == errno.EBUSY:
                time.sleep(0.0002 * (attempt % 10))  # a burst of environments: spread out a little
                continue
            raise SetupFailed("loop device", device, exc.errno) from None
        try:
            return use(device)
        finally:
            os.close(loop)
            os.close(backing)
    raise SetupFailed("loop device", "/dev/loop-control", errno.EBUSY)


def mount_scratch(image, target):
    """Mount the ext4 image *image* at *target*, writable by all as /tmp is."""

    def use(device):
        mount(device, target, "ext4", MS_NOSUID | MS_NODEV, "noinit_itable")

    with_loop(image, use)
    os.rmdir(target + "/lost+found")  # /tmp starts empty, as on AWS
    os.chmod(target, 0o1777)  # noqa: S103 - /tmp is world-writable and sticky, as everywhere


def bind_readonly(source, target):
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _loopback_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def build_root(spec):
    """Mounts in the new mount namespace (invisible to the host), then pivot_root into them;
    /proc is left to a process of the new PID namespace."""
    root = spec["root"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount(root, root, None, MS_BIND)
    for source, target in spec["binds"]:
        bind_readonly(source, root + target)
    for source, target in spec["devices"]:
        mount(source, root + target, None, MS_BIND)
    tmp = spec.get("tmp") or {}
    if tmp.get("staged"):  # the spare's /tmp, mounted while it waited
        mount(tmp["staged"], root + "/tmp", None, MS_MOVE)
    elif tmp.get("image"):
        mount_scratch(tmp["image"], root + "/tmp")
    else:
        mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size={}m,mode=1777".format(spec["tmp_mb"]))
    mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
    mount(None, root, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
    os.chdir(root)
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise SetupFailed("pivot_root", platform.machine(), errno.ENOSYS)
    _check(_libc.syscall(number, b".", b"."), "pivot_root", root)
    _check(_libc.umount2(b".", MNT_DETACH), "umount", "old root")
    os.chdir("/")


def drop_privileges(uid, gid):
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "no_new_privs")


class SockFprog(ctypes.Structure):
    """struct sock_fprog (made once here, shared by every fork, rather than in each)."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_seccomp(program):
    if not program:
        return
    count = len(program) // 8
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(count, ctypes.cast(buffer, ctypes.c_void_p))
    _libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0), "seccomp", "filter")


def _fail(exc):
    try:
        os.write(2, "[lambent] sandbox setup failed: {}\n".format(exc).encode())
    finally:
        os._exit(SETUP_FAILED)


def _exit_code(status):
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def wake_on_children():
    """A pipe that SIGCHLD writes to, so that a select() on its read end wakes for exits."""
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    return wake_read, wake_write


def drain(wake_read):
    while True:
        try:
            os.read(wake_read, 512)
        except BlockingIOError:
            return


def stop_waking(fds):
    """In a fork of a waker: SIGCHLD back to its default, and *fds* (the pipe's, ...) closed."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in fds:
        os.close(fd)


def open_api(spec, setup):
    """The platform API's port on this network namespace's loopback, its listening socket handed
    to the platform over *setup*; with a route out, wait for the platform's go."""
    api = None
    if spec.get("api_port"):
        api = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        api.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        api.bind(("127.0.0.1", spec["api_port"]))
        api.listen(128)
    socket.send_fds(setup, [b'{"t":"api"}'], [api.fileno()] if api else [])
    if api is not None:
        api.close()
    if spec.get("network_gate") and setup.recv(16) != b"go":
        # The platform attaches (or takes away) the route out from the host side: nothing
        # of the function runs before that is done (its init may well use the network).
        raise OSError("outbound network: the platform did not finish setting it up")


def reap(reaper, child):
    """Wait as PID 1 until *child* exits, then exit as it did: in the reaper binary (*reaper*,
    a descriptor) if there is one, else in Python."""
    if reaper >= 0:
        # A few pages of C wait from here on instead of this interpreter (about 1 MB).
        try:
            os.execve(reaper, ["lambent-init", str(child)], {})  # noqa: S606 - our binary, no shell
        except OSError:
            pass  # reap in Python, as without it
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(SETUP_FAILED)
        if pid == child:
            os._exit(_exit_code(status))


def run_function(link, entry, reaper):
    """C: made at spare time, waiting on *link* until A has built its namespaces and root; then
    the runtime, with the function's identity and limits."""
    try:
        link.send(b"c")  # it exists: A may change the namespace's root under it now
        message, fds, _flags, _addr = socket.recv_fds(link, 1 << 20, 3)
        if not message or len(fds) < 2:
            os._exit(SETUP_FAILED)  # A failed (its error is in the log) or the spare was released
        link.close()
        spec = json.loads(message)
        channel, output = fds[0], fds[1]
        control = fds[2] if len(fds) == 3 else -1
        if control < 0 and reaper >= 0:
            os.close(reaper)  # a template keeps it for the environments it forks
        os.chdir("/")
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(null)
        os.close(output)
        nofile = spec.get("nofile", 1024)
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        drop_privileges(spec["uid"], spec["gid"])
        install_seccomp(_SECCOMP[1] if control >= 0 else _SECCOMP[0])
        os.environ.clear()
        os.environ.update(spec["env"])
        os.chdir(spec.get("cwd", "/"))
    except Exception as exc:
        _fail(exc)
    for extension in spec.get("extensions") or ():
        # External extensions start before the runtime, as the function's user, in its sandbox.
        if os.fork() == 0:
            try:
                os.execve(extension, [extension], spec["env"])  # noqa: S606 - an argv list, no shell
            except OSError as exc:
                os.write(2, "[lambent] cannot start the extension {}: {}\n".format(extension, exc).encode())
            os._exit(127)
    command = spec.get("exec")
    if command:
        # A runtime that is not preloaded: the channel stays open across exec so that the
        # platform reads end-of-file when the runtime is gone.
        try:
            os.execve(command[0], command, spec["env"])  # noqa: S606 - an argv list, no shell
        except OSError as exc:
            os.write(2, "[lambent] cannot start the runtime {}: {}\n".format(command[0], exc).encode())
            os._exit(127)
    code = 0
    try:
        if control >= 0:
            entry(channel, fork_server=lambda sock: serve_restores(sock, control, reaper))
        else:
            entry(channel)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
    os._exit(code)


# -- SnapStart: environments forked from an initialised template ------------------------------


def serve_restores(sock, control, reaper):
    """T, a SnapStart template's runtime once its init and before-snapshot hooks are done (*sock*
    its channel): fork a restored environment for each request on *control* and report there
    how each one ends. Returns only in a restored environment's runtime, with its channel; the
    template exits when the platform closes *control*.

        T ──fork──▶ A': hello on the setup socket, the one descriptor of the request (the platform
                        sees A''s pid through SCM_CREDENTIALS, moves it into the environment's
                        cgroups and answers with a /tmp mount); unshare(user, mount, pid, ipc,
                        uts, net) as the function's uid, mapping that uid alone; fork B'; become
                        the reaper of B'.
                    B': PID 1 of the new pid namespace, with the capabilities of its own user
                        namespace only: its own /proc, /tmp (a copy of what init left there, as
                        on AWS), /dev/shm, hostname, loopback and API port. Then it waits: the
                        platform places restored environments ahead of need and sends "go" with
                        the environment's channel and output when one is wanted; fork C'; reap.
                    C': drops every capability and stacks the full seccomp policy on the
                        template's; back to the runtime, which runs the after-restore hooks.
    """
    wake_read, wake_write = wake_on_children()
    requests = socket.socket(fileno=control)
    forked = set()  # only ours are reaped here: the function's own children are its business
    while True:
        readable, _, _ = select.select([requests, wake_read], [], [])
        if wake_read in readable:
            drain(wake_read)
            for pid in list(forked):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    forked.discard(pid)
                    requests.send(json.dumps({"t": "exit", "pid": pid, "status": _exit_code(status)}).encode())
        if requests in readable:
            message, fds, _flags, _addr = socket.recv_fds(requests, 1 << 16, 1)
            if not message:
                os._exit(0)
            if len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                continue
            pid = os.fork()
            if pid == 0:
                stop_waking((wake_read, wake_write))
                requests.close()
                sock.close()
                return restore(json.loads(message), fds, reaper)
            forked.add(pid)
            for fd in fds:
                os.close(fd)
            requests.send(json.dumps({"t": "forked", "pid": pid}).encode())


def restore(request, fds, reaper):
    """A': see ``serve_restores``."""
    try:
        os.setsid()
        setup = socket.socket(fileno=fds[0])
        setup.send(b'{"t":"hello"}')
        reply, mounts, _flags, _addr = socket.recv_fds(setup, 4096, 1)
        if not reply:
            os._exit(0)  # the platform gave up on this environment
        uid, gid = os.getuid(), os.getgid()
        # Set-uid made the template undumpable, which leaves /proc/self owned by root.
        _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl", "dumpable")
        _check(_libc.unshare(RESTORE_FLAGS), "unshare", "namespaces")
        for name, text in (("setgroups", "deny"), ("uid_map", "{0} {0} 1".format(uid)), ("gid_map", "{0} {0} 1".format(gid))):
            with open("/proc/self/" + name, "w") as mapping:
                mapping.write(text)
        init = os.fork()
        if init == 0:
            return restored_init(request, setup, mounts[0] if mounts else -1, reaper)
        setup.close()
        for fd in mounts:
            os.close(fd)
    except Exception as exc:
        _fail(exc)
    reap(reaper, init)


def restored_init(request, setup, tmp_mount, reaper):
    """B': PID 1 of a restored environment. Placed ahead of need, it waits for the platform's go,
    which brings the environment's channel and output."""
    try:
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        restore_tmp(tmp_mount, request["tmp_mb"])
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
        socket.sethostname(request.get("hostname", "lambent"))
        _loopback_up()
        open_api(request, setup)
        message, fds, _flags, _addr = socket.recv_fds(setup, 64, 2)
        if message != b"go" or len(fds) != 2:
            os._exit(SETUP_FAILED)  # released unused (the platform closed the socket)
        setup.close()
        channel, output = fds
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
    except Exception as exc:
        _fail(exc)
    child = os.fork()
    if child == 0:
        try:
            # No capability left (a set-uid-free uid keeps none across exec either), then the
            # environment's full seccomp policy before any of the function's code runs again.
            header = struct.pack("=Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
            _check(_libc.syscall(_CAPSET[platform.machine()], header, bytes(24)), "capset", "none")
            install_seccomp(_SECCOMP[0])
        except Exception as exc:
            _fail(exc)
        return channel
    os.close(channel)
    reap(reaper, child)


def restore_tmp(tmp_mount, tmp_mb):
    """A /tmp of the environment's own over the template's, holding a copy of what the
    template's init left there (the snapshot includes its disk)."""
    snapshot = os.open("/tmp", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if tmp_mount >= 0:
            result = _libc.syscall(_MOVE_MOUNT[platform.machine()], tmp_mount, b"", AT_FDCWD, b"/tmp", MOVE_MOUNT_F_EMPTY_PATH)
            _check(result, "move_mount", "/tmp")
            os.close(tmp_mount)
        else:
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size={}m,mode=1777".format(tmp_mb))
        source = "/proc/self/fd/{}".format(snapshot)
        for name in os.listdir(snapshot):  # entry by entry: /tmp itself is root's, its mode stays
            path = os.path.join(source, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.copytree(path, "/tmp/" + name, symlinks=True)
            else:
                shutil.copy2(path, "/tmp/" + name, follow_symlinks=False)
    finally:
        os.close(snapshot)


def spare(placement, link, entry, reserved):
    """A: a child placed in its cgroups and namespaces ahead of need, with the environment's
    PID 1 (B, the reaper) and runtime (C, waiting) already made; on request, A builds the root
    and the network for them, hands C its spec and descriptors, and exits (C is then PID 1's).

    Joining a cgroup (v1) costs milliseconds per controller (an RCU grace period each), so it
    happens here, before any request. C is forked before A does anything more: every page A or
    B dirtied before C's fork would end up C's alone (its private memory) once they are gone. B
    runs as nobody: the function's uid is not known yet, and PID 1 needs no privilege.
    """
    pid = os.fork()
    if pid:
        os.close(link)
        return pid
    try:
        stop_waking(reserved)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.setsid()
        os.chdir("/")  # so that pivot_root moves B's and C's working directory too
        placement = json.loads(placement)
        for path in placement["cgroup_procs"]:
            with open(path, "w") as procs:
                procs.write(str(os.getpid()))
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET), "unshare", "namespaces")
        reaper = os.open(placement["reaper"], os.O_RDONLY | os.O_CLOEXEC) if placement.get("reaper") else -1
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        os.set_inheritable(link, False)
        # B, PID 1, must be C's parent: the zygote is a subreaper, so an orphan of A's would
        # go to it, not to PID 1. B forks C at once and becomes the reaper (nobody).
        init = os.fork()
        if init == 0:
            ours.close()
            child = os.fork()
            if child == 0:
                run_function(theirs, entry, reaper)
            theirs.close()
            drop_privileges(NOBODY, NOBODY)
            reap(reaper, child)
        theirs.close()
        if reaper >= 0:
            os.close(reaper)
        # pivot_root moves the root of the processes that exist when it runs: C, forked by B,
        # must be one of them (a fork in flight would keep the old root).
        if ours.recv(1) != b"c":
            raise OSError("the runtime process did not start")
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        if placement.get("scratch"):
            # A default-size /tmp now: the environment moves it into place instead of paying
            # for a mount on the cold path.
            mount_scratch(placement["scratch"]["image"], placement["scratch"]["staging"])
        link_sock = socket.socket(fileno=link)
        try:
            # Its network namespace exists: the platform may attach the outbound stack now.
            link_sock.send(json.dumps({"t": "placed", "pid": os.getpid()}).encode())
            request, fds, _flags, _addr = socket.recv_fds(link_sock, 1 << 20, 4)
        except OSError:
            os._exit(0)  # released unused: the platform closed the link (C and B follow)
        if not request or len(fds) not in (3, 4):
            os._exit(0)  # released unused
        link_sock.close()
        output, setup = fds[1], fds[2]
        os.dup2(output, 2)  # a failed step is the environment's log
        spec = json.loads(request)
        setup_sock = socket.socket(fileno=setup)
        setup_sock.send(json.dumps({"t": "pid", "pid": init}).encode())
        build_root(spec)
        socket.sethostname(spec.get("hostname", "lambent"))
        _loopback_up()
        open_api(spec, setup_sock)
        # Only what the runtime reads: every object it parses is a page of its own dirtied.
        runtime = {key: spec[key] for key in RUNTIME_KEYS if key in spec}
        socket.send_fds(ours, [json.dumps(runtime).encode()], fds[:2] + fds[3:])
    except Exception as exc:
        _fail(exc)
    os._exit(0)


def serve(control, entry):
    """The zygote's loop: fork spares on request, report the exits of environments."""
    _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl", "child subreaper")
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    wake_read, wake_write = wake_on_children()
    firsts = set()
    reserved = [control.fileno(), wake_read, wake_write]
    import gc

    config = json.loads(control.recv(1 << 20))
    _SECCOMP[0] = bytes.fromhex(config.get("seccomp", ""))
    _SECCOMP[1] = bytes.fromhex(config.get("seccomp_template", ""))
    gc.freeze()  # keep the preloaded heap shared with every fork
    control.send(b'{"t":"ready"}')
    while True:
        readable, _, _ = select.select([control, wake_read], [], [])
        if wake_read in readable:
            drain(wake_read)
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                if pid in firsts:
                    firsts.discard(pid)
                    continue
                control.send(json.dumps({"t": "exit", "pid": pid, "status": _exit_code(status)}).encode())
        if control in readable:
            try:
                message, fds, _flags, _addr = socket.recv_fds(control, 1 << 20, 3)
            except InterruptedError:
                continue
            if not message:
                os._exit(0)
            if len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                continue
            firsts.add(spare(message, fds[0], entry, reserved))


def main():
    preload, entry_name = sys.argv[1], sys.argv[2]
    spec = importlib.util.spec_from_file_location("lambent_preloaded", preload)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    control = socket.socket(fileno=3)
    serve(control, getattr(module, entry_name))


if __name__ == "__main__":
    main()
