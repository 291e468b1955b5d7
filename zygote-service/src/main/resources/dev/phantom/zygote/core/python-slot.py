# The agent of a warm Python slot (see SlotAgent.PYTHON). It starts inside the sandbox, imports what most
# programs import first, then waits on stdin for one job: its length in bytes and a newline, then
# {"argv": [...], "env": {...}, "cwd": "...", "files": [...]} (files only for forked slots).
# A job that runs this interpreter's Python (`python3 FILE args` or `python3 -c CODE args`) runs here at
# once, as that command would; anything else is exec'd. Either way the slot ends with the job.
import os
import sys

# Loaded once per slot, before any job exists. Each module costs memory in every idle slot: keep to
# what agents' scripts import most.
PRELOAD = ("json", "re", "collections", "functools", "itertools", "math", "random", "datetime", "time",
           "typing", "dataclasses", "pathlib", "io", "string", "textwrap", "enum", "copy", "base64",
           "hashlib", "struct", "importlib.machinery", "types", "traceback", "shutil", "atexit", "gc", "threading")
for _name in PRELOAD:
    try:
        __import__(_name)
    except Exception:
        pass
PRELOADED = frozenset(sys.modules)
# What exists now is the slot's, not a job's: frozen out of the collector's generations, so that at the
# end a scan of those generations sees only objects the job made (and pages stay shared where they can).
sys.modules["gc"].freeze()
MAX_JOB_BYTES = 256 * 1024


def read_job():
    # The length byte by byte, then exactly that many bytes: whatever follows the job on fd 0 is the job's
    # own stdin and must stay unread.
    digits = bytearray()
    while True:
        b = os.read(0, 1)
        if not b or len(digits) > 7:
            os._exit(125)
        if b == b"\n":
            break
        digits += b
    size = int(digits)
    if size > MAX_JOB_BYTES:
        os._exit(125)
    job = bytearray()
    while len(job) < size:
        chunk = os.read(0, size - len(job))
        if not chunk:
            os._exit(125)
        job += chunk
    return __import__("json").loads(job)


def exec_job(argv):
    try:
        os.execvpe(argv[0], argv, os.environ)
    except OSError as e:
        reason = "No such file or directory" if isinstance(e, FileNotFoundError) else "Permission denied" \
            if isinstance(e, PermissionError) else os.strerror(e.errno or 0)
        sys.stderr.write("phantom-slot: execvp %s: %s\n" % (argv[0], reason))
        sys.stderr.flush()
        os._exit(127)


_THIS_PYTHON = {}


def is_this_python(command):
    # Remembered per command and PATH: the slot's root is read-only, and the answer for the profile's own
    # PATH is found before any job (about twenty stat calls that no job should wait for).
    key = (command, os.environ.get("PATH"))
    if key not in _THIS_PYTHON:
        found = sys.modules["shutil"].which(command)
        _THIS_PYTHON[key] = found is not None and os.path.realpath(found) == os.path.realpath(sys.executable)
    return _THIS_PYTHON[key]


def python_plan(argv, env):
    """(code or None, script or None, sys.argv) when the job is Python this interpreter can run, else None."""
    if len(argv) < 2 or not is_this_python(argv[0]) or any(k.startswith("PYTHON") for k in env):
        return None
    if argv[1] == "-c" and len(argv) >= 3:
        return argv[2], None, ["-c"] + argv[3:]
    if argv[1].startswith("-"):
        return None  # interpreter options: let the real command line handle them
    return None, argv[1], argv[1:]


def forget_shadowed(directory):
    # A job's own module named like a preloaded one (random.py next to main.py) must win, as it would
    # in a fresh interpreter where the script's directory comes first on sys.path.
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return
    for entry in names:
        name = entry[:-3] if entry.endswith(".py") else entry
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            if loaded in PRELOADED:
                del sys.modules[loaded]


def run_script(script):
    """Runs the file as `python3 FILE` does (no runpy: its importer probes and two more opens of the file
    cost a fifth of a millisecond): an absolute __file__, a __main__ with the loader and no spec."""
    path = os.path.abspath(script)
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    main = sys.modules["types"].ModuleType("__main__")
    main.__dict__.update(__file__=path, __cached__=None, __builtins__=__builtins__,
                         __loader__=sys.modules["importlib.machinery"].SourceFileLoader("__main__", path))
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def rehearse():
    """A forked slot's rehearsal of a job's path, before the job: the first write to a page after the fork
    copies it (a fault and 4 KiB), and a job's first steps wrote to hundreds. What is rehearsed here saved
    0.35-0.45 ms of every Python job for about 0.5 MiB of each idle slot's memory; scanning the collector's
    generations as finish() does would save 0.1 ms more for 0.4 MiB, and is left to the job. Nothing of it
    is left for the job to see: no file, no module, no output."""
    sample = '{"argv":["python3","main.py"],"env":{"A":"b"},"cwd":"","files":[{"path":"/workspace/main.py",' \
             '"mode":420,"data":"cHJpbnQoJ2hlbGxvJykK"}]}'
    job = __import__("json").loads(sample)
    sys.modules["base64"].b64decode(job["files"][0]["data"])
    python_plan(job["argv"], job["env"])
    os.path.dirname(os.path.realpath(os.path.abspath("main.py")))
    os.path.exists("/")
    forget_shadowed(os.getcwd())
    scratch = {"__builtins__": __builtins__, "out": sys.modules["io"].StringIO()}
    exec(compile("import sys\nprint('hello', file=out)\n", "<rehearsal>", "exec", dont_inherit=True), scratch)
    sys.modules["types"].ModuleType("__main__")
    sys.modules["importlib.machinery"].SourceFileLoader("__main__", "/rehearsal.py")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()


def trimmed(tb):
    while tb is not None and tb.tb_frame.f_code.co_filename == "<phantom-slot>":
        tb = tb.tb_next
    return tb


def place_files(files):
    # Forked slots get the job's files in the job line (the zygote cannot reach their workspace): the
    # workspace is a fresh tmpfs, and the zygote checked every path, so nothing here can point elsewhere.
    base64 = sys.modules["base64"]
    for f in files:
        parent = os.path.dirname(f["path"])
        if parent:
            os.makedirs(parent, mode=0o755, exist_ok=True)
        fd = os.open(f["path"], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, f["mode"] & 0o777)
        try:
            data = base64.b64decode(f["data"])
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)


def run_job():
    if globals().get("FORK_SERVER"):
        rehearse()
    job = read_job()
    argv, env, cwd = job["argv"], job["env"], job["cwd"]
    place_files(job.get("files", ()))
    os.environ.update(env)
    if cwd:
        os.chdir(cwd)
    plan = python_plan(argv, env)
    if plan is None:
        exec_job(argv)
    code, script, sys.argv = plan
    status = 0
    try:
        if code is not None:
            sys.path[0] = ""
            forget_shadowed("")
            main = sys.modules["types"].ModuleType("__main__")
            main.__builtins__ = __builtins__
            sys.modules["__main__"] = main
            exec(compile(code, "<string>", "exec"), main.__dict__)
        else:
            if not os.path.exists(script):
                sys.stderr.write("%s: can't open file %r: [Errno 2] No such file or directory\n"
                                 % (sys.executable, os.path.abspath(script)))
                status = 2
            else:
                sys.path[0] = os.path.dirname(os.path.realpath(script))
                forget_shadowed(sys.path[0])
                run_script(script)
    except SystemExit as e:
        status = exit_status(e)
    except BaseException as e:
        e.__traceback__ = trimmed(e.__traceback__)  # the hook prints the exception's own traceback
        sys.excepthook(type(e), e, e.__traceback__)
        status = 130 if isinstance(e, KeyboardInterrupt) else 1
    finish(status)


def exit_status(e):
    # As the interpreter treats an uncaught SystemExit.
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    try:
        sys.stderr.write(str(e.code) + "\n")
    except Exception:
        pass
    return 1


def finish(status):
    """Ends the job the way interpreter exit does, minus tearing down every module: that teardown costs
    tens of milliseconds and gives nothing back that the end of the process does not."""
    try:
        sys.modules["threading"]._shutdown()  # non-daemon threads run to their end, as at normal exit
    except BaseException:
        pass
    try:
        sys.modules["atexit"]._run_exitfuncs()
    except BaseException:
        pass
    io = sys.modules["io"]
    gc = sys.modules["gc"]
    # Files the job left open lose no buffered byte: the interpreter would flush them as it freed them.
    for generation in range(3):
        for obj in gc.get_objects(generation):
            if isinstance(obj, io.IOBase):
                try:
                    if not obj.closed:
                        obj.flush()
                except Exception:
                    pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            status = status or 120  # what the interpreter exits with when it cannot flush stdout
    # A forked slot's init reports the exit now rather than after this process's teardown; only the job's
    # own process may (a child it forked that ran on to here exits without a word).
    finished = globals().get("FINISHED_FD")
    if finished is not None and os.getpid() == globals().get("JOB_PID"):
        try:
            os.write(finished, bytes([status & 0xFF]))
        except OSError:
            pass
    os._exit(status)


for _command in ("python3", "python"):
    is_this_python(_command)
if not globals().get("FORK_SERVER"):
    run_job()
