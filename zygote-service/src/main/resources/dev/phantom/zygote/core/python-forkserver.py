# The fork server of a Python pool (see SlotAgent.PYTHON_FORKED), appended to python-slot.py: one
# interpreter per pool starts in a bubblewrap sandbox of the pool's profile, imports what slots import,
# then forks every slot of the pool, so that the slots share its pages copy-on-write (a slot's own memory
# is what it changes). It keeps the capabilities that bubblewrap gave it (mount, namespaces) and never runs
# a job: each slot first enters namespaces of its own, mounts fresh writable filesystems, drops every
# capability and applies the profile's seccomp filter, as bubblewrap does for a fresh sandbox.
#
# Descriptors (from the zygote): 3 the seccomp program (raw struct sock_filter array) until EOF; 6 a
# SOCK_SEQPACKET socket. Each request on it is a JSON object with five descriptors attached (the slot's
# stdin, stdout, stderr, status and release pipes); the reply is {"pid": N} with a pidfd of the slot.
# A slot waits on its release pipe (the zygote moves it into its cgroup meanwhile), then makes its
# sandbox, writes {"child-pid": 2} to its status pipe as bubblewrap does, and runs python-slot.py's
# run_job(); when the job ends its init writes {"exit-code": N}: as soon as the job's agent says it has
# finished (its output flushed) on a pipe only the two share, or else when the job's process is gone.
import ctypes
# Modules every slot uses are imported here, before the forks: imported in each slot they cost it
# about 450 KiB of memory of its own.
import fcntl
import resource
import json
import signal
import socket

LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 2, 4, 8, 32, 4096
MS_REC, MS_PRIVATE = 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAPBSET_DROP = 1, 38, 22, 24
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, SECCOMP_MODE_FILTER = 47, 4, 2
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, "%s: %s" % (what, os.strerror(errno)))


def mount(source, target, fstype, flags, data):
    check(LIBC.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                     ctypes.c_ulong(flags), data and data.encode()), "mount " + target)


class SockFilterProg(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def seal(bpf):
    """No capability in any set (bubblewrap's --cap-drop ALL), no new privileges, the profile's filter."""
    check(LIBC.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing ambient capabilities")
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last + 1):
        check(LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "dropping capability %d" % cap)
    header = CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set
    data = (CapData * 2)()
    check(LIBC.syscall(126, ctypes.byref(header), ctypes.byref(data)), "capset")  # SYS_capset, x86_64
    check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if bpf:
        program = ctypes.create_string_buffer(bpf, len(bpf))
        prog = SockFilterProg(len(bpf) // 8, ctypes.addressof(program))
        check(LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp")


def loopback_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = bytearray(40)
        request[0:2] = b"lo"
        fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, request)
        flags = int.from_bytes(request[16:18], "little") | IFF_UP
        request[16:18] = flags.to_bytes(2, "little")
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, request)


def make_sandbox(request):
    """In the slot's own namespaces (we are pid 1 there): fresh writable mounts, /proc of this pid namespace."""
    mount(None, "/", None, MS_REC | MS_PRIVATE, None)  # nothing propagates in or out
    for m in request["tmpfs"]:
        options = "mode=755" + (",size=%d" % m["size"] if m.get("size") else "")
        mount("tmpfs", m["target"], "tmpfs", MS_NOSUID | MS_NODEV, options)
    for target in request["proc"]:
        mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    for target in request["devpts"]:
        mount("devpts", target, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
    if request["net"]:
        loopback_up()
    os.chdir(request["cwd"] or "/")


def set_limits(limits):
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.get("nofile"):
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits["nofile"], limits["nofile"]))
    if limits.get("fsize"):
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))


def exit_code(status):
    # As bubblewrap reports it: the exit status, or 128 plus the signal that ended the command.
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def slot(request, fds, bpf):
    """The forked slot's first process (outside its pid namespace): never returns."""
    try:
        # stdin, stdout, stderr at 0-2, the status pipe at 3, the release pipe at 4; nothing else.
        high = [os.dup2(fd, 100 + i) for i, fd in enumerate(fds)]
        for target, fd in enumerate(high):
            os.dup2(fd, target)
        os.closerange(5, 65536)
        status, release = 3, 4
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if os.read(release, 1) != b"1":
            os._exit(125)  # the zygote could not place the slot: nothing of it may run
        os.close(release)
        flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
        if request["net"]:
            flags |= CLONE_NEWNET
        check(LIBC.unshare(flags), "unshare")
        if os.fork() == 0:
            slot_init(request, status, bpf)
        # The slot's init is reparented to the server sandbox's init, which reaps it; the zygote watches
        # the status pipe (its end of file is the init's death, and with it the whole pid namespace's).
        os._exit(0)
    except BaseException as e:
        report_failure(e)


def slot_init(request, status, bpf):
    """pid 1 of the slot: makes the sandbox, starts the job's process, reports its exit."""
    try:
        make_sandbox(request)
        set_limits(request["limits"])
        seal(bpf)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_IGN)  # a job cannot end its own init but by ending itself
        # The agent's own report: one byte, its exit status, once the job's output is flushed. The process
        # then still has to be torn down (its copy-on-write pages freed, about a millisecond), which the
        # reply need not wait for: nothing of the job can write any more.
        finished_r, finished_w = os.pipe()
        signal.signal(signal.SIGCHLD, on_child)  # before the fork: a job that ends at once still interrupts
        job = os.fork()
        if job == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.close(status)
            os.close(finished_r)
            globals()["FINISHED_FD"] = finished_w
            globals()["JOB_PID"] = os.getpid()
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.setsid()
            run_job()
        os.close(finished_w)
        for fd in (0, 1, 2):
            os.close(fd)
        os.write(status, b'{"child-pid": %d}\n' % job)
        code = reported_exit(finished_r)
        if code is not None:
            os.write(status, b'{"exit-code": %d}\n' % code)
        while True:
            pid, wait_status = os.wait()
            if pid == job:
                if code is None:
                    os.write(status, b'{"exit-code": %d}\n' % exit_code(wait_status))
                os._exit(0)
    except BaseException as e:
        report_failure(e)


class ChildEnded(Exception):
    pass


WAITING_FOR_REPORT = [False]


def on_child(signum, frame):
    if WAITING_FOR_REPORT[0]:
        raise ChildEnded()  # only out of the read below, never out of anything else the init does


def reported_exit(finished_r):
    """The status the job's agent reported, or None when there will be none: end of file (the job exec'd
    another program or is gone) or a child of the init ended meanwhile (the job, or an orphan the init
    inherited). Then the exit is reported from the job's wait status, as before. (No pidfd to watch the
    job: the profile's filter may refuse pidfd_open.)"""
    WAITING_FOR_REPORT[0] = True
    try:
        byte = os.read(finished_r, 1)  # SIGCHLD interrupts it: the handler raises
        return byte[0] if byte else None
    except ChildEnded:
        return None
    finally:
        WAITING_FOR_REPORT[0] = False
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.close(finished_r)


def report_failure(e):
    try:
        os.write(2, ("phantom-forkserver: %s\n" % e).encode())
    finally:
        os._exit(126)


def serve():
    bpf = b"".join(iter(lambda: os.read(3, 65536), b""))
    os.close(3)
    control = socket.socket(fileno=6)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # slots are reaped by the kernel; the zygote polls pidfds
    sys.modules["gc"].collect()
    sys.modules["gc"].freeze()
    while True:
        message, fds, _, _ = socket.recv_fds(control, 65536, 5)
        if not message:
            os._exit(0)  # the zygote is gone
        request = json.loads(message)
        if len(fds) != 5:
            for fd in fds:
                os.close(fd)
            control.send(json.dumps({"error": "expected 5 descriptors, got %d" % len(fds)}).encode())
            continue
        pid = os.fork()
        if pid == 0:
            control.close()
            slot(request, fds, bpf)
        for fd in fds:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        socket.send_fds(control, [json.dumps({"pid": pid}).encode()], [pidfd])
        os.close(pidfd)


serve()
