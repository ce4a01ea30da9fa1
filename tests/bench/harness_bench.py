"""Harness and image benchmarks for make bench: image build time and size, boot-to-SSH
(median of 5) against a bare QEMU boot of the compressed kernel measured in the same run,
the time breakdown of a minimal run, the demo's wall time over its sweep time and the
harness's own peak RSS."""
import json
import os
import shutil
import select
import signal
import resource
import statistics
import subprocess
import tempfile
import time

vmsweep = os.environ["VMSWEEP"]
cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "vmsweep")


def row(name, value, target=""):
    print(f"| {name:<38} | {value:>14} | {target:<22} |")


print("\n## Guest image and harness (TCG when no KVM)\n")
print(f"| {'measure':<38} | {'value':>14} | {'target':<22} |")
print(f"|{'-' * 40}|{'-' * 16}|{'-' * 24}|")

if True:
    # A throw-away image next to the user's, removed afterwards.
    t0 = time.monotonic()
    subprocess.run([vmsweep, "image", "build", "--name", "benchimg", "--force", "-q"],
                   check=True, stdout=subprocess.DEVNULL)
    build_s = time.monotonic() - t0
    img = os.path.join(cache, "images", "benchimg")
    size = sum(os.path.getsize(os.path.join(img, f)) for f in os.listdir(img))
    subprocess.run(["rm", "-rf", img], check=True)
row("image build time", f"{build_s:.1f} s")
row("tiny image size (all files)", f"{size / 2**20:.1f} MiB", "")
for f in ("vmlinuz", "vmlinux", "initrd.img"):
    p = os.path.join(cache, "images", "tiny", f)
    if os.path.exists(p):
        row(f"  {f}", f"{os.path.getsize(p) / 2**20:.1f} MiB", "vmlinuz+initrd <= 15 MiB")



def bare_boot(kernel, initrd, cmdline):
    """Seconds from starting QEMU (TCG, q35, 2 vCPUs, as the harness's default VM) to the
    guest init's first line: the reference the harness's own boot is measured against."""
    argv = ["qemu-system-x86_64", "-M", "q35", "-accel", "tcg", "-cpu", "EPYC-Rome", "-smp", "2",
            "-m", "1024", "-kernel", kernel, "-initrd", initrd, "-append", cmdline,
            "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio", "-net", "none"]
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    buf, took = b"", None
    try:
        while time.monotonic() - t0 < 60:
            r, _, _ = select.select([p.stdout], [], [], 1)
            if r:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                if b"vmsweep: init started" in buf:
                    took = time.monotonic() - t0
                    break
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    return took


tiny = os.path.join(cache, "images", "tiny")
tm = json.load(open(os.path.join(tiny, "manifest.json")))
bare = [bare_boot(os.path.join(tiny, "vmlinuz"), os.path.join(tiny, "initrd.img"), tm["cmdline"])
        for _ in range(3)]
bare = [b for b in bare if b is not None]
bare_med = statistics.median(bare) if bare else None
row("bare QEMU boot, bzImage, to init (med 3)", f"{bare_med:.2f} s" if bare_med else "n/a",
    "reference")

MINIMAL = ["run", "--vcpus", "1", "--workload", "noop", "--concurrency", "1", "--duration", "1s",
           "--warmup", "0", "--timeout", "10s", "--no-plot", "-q"]


def minimal_run(extra):
    """One minimal run: (its first size's manifest entry, wall time, timings)."""
    global rss
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        t0 = time.monotonic()
        subprocess.run([vmsweep] + MINIMAL + extra + ["-o", out], check=True,
                       stdout=subprocess.DEVNULL)
        total = time.monotonic() - t0
        rss = max(rss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        m = json.load(open(os.path.join(out, "manifest.json")))
        return m, total, m["sizes"][0]["timings_s"]


boots, starts, overheads, breakdowns, rss = [], [], [], [], 0
for i in range(5):
    m, total, t = minimal_run(["--no-restore"])
    boots.append(t["boot_to_ssh_s"])
    starts.append(t["define_s"] + t["boot_to_ssh_s"])
    breakdowns.append(t)
    overheads.append(total - t["sweep_s"])
med = statistics.median(boots)

# Saved-state restarts: one run saves the configuration's state, five restore it.  A
# restore's start is its define step (the restore itself) plus the wait for SSH.
minimal_run([])
restores = []
for i in range(5):
    m, total, t = minimal_run([])
    if m["sizes"][0].get("start") == "restored":
        restores.append(t["define_s"] + t["boot_to_ssh_s"])
row(f"boot to SSH, {m['image'].get('kernel_boot', '?')} (median of 5)", f"{med:.2f} s", "<= 10 s")
if bare_med:
    row("  boot to SSH / bare bzImage boot", f"{med / bare_med:.2f}x", "<= 0.75x")
if restores:
    rmed = statistics.median(restores)
    row("restore to SSH (median of 5)", f"{rmed:.2f} s", "")
    row("  restore / cold start (define + boot) to SSH",
        f"{rmed / statistics.median(starts):.2f}x", "< 0.5x")
else:
    row("restore to SSH", "n/a (not restored)", "")
mid = breakdowns[boots.index(med)]
for k in ("define_s", "boot_to_ssh_s", "push_s", "sweep_s", "pull_s"):
    row(f"  minimal run: {k[:-2]}", f"{mid.get(k, 0):.2f} s")
for k, v in mid.get("boot", {}).items():
    row(f"    boot: {k[:-2]}", f"{v:.2f} s")
row("everything but the sweep, per VM size", f"{statistics.median(overheads):.1f} s", "<= 15 s")

# The demo's sweep (sweeps/default.json), its wall time over the time spent sweeping:
# twice, as a CI job repeats it: first with no saved state (a private cache holding only
# the image, keys and probe results), then restoring the state the first run saved.
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cache_src = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                         "vmsweep")
demo_cache = tempfile.TemporaryDirectory()
os.makedirs(os.path.join(demo_cache.name, "vmsweep", "images"))
for sub in ("keys", "images/tiny", "qemu-caps", "kvm-probe.json"):
    src = os.path.join(cache_src, sub)
    dst = os.path.join(demo_cache.name, "vmsweep", sub)
    if os.path.isdir(src):
        shutil.copytree(src, dst, symlinks=True)
    elif os.path.exists(src):
        shutil.copy2(src, dst)
demo_env = dict(os.environ, XDG_CACHE_HOME=demo_cache.name)
for label in ("first", "repeated"):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "demo")
        t0 = time.monotonic()
        subprocess.run([vmsweep, "run", os.path.join(root, "sweeps", "default.json"), "-q",
                        "-o", out], check=True, stdout=subprocess.DEVNULL, env=demo_env)
        wall = time.monotonic() - t0
        rss = max(rss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        m = json.load(open(os.path.join(out, "manifest.json")))
        sweep = sum(sz["timings_s"].get("sweep_s", 0) for sz in m["sizes"])
        start = m["sizes"][0].get("start", "?")
    row(f"demo wall / sweep time, {label} ({start})", f"{wall / sweep:.2f}x" if sweep else "n/a",
        "<= 1.4x")
demo_cache.cleanup()
row("harness peak RSS", f"{rss / 1024:.1f} MiB")
