"""Harness and image benchmarks for make bench: image build time and size, boot-to-SSH
(median of 3), the time breakdown of a minimal run and the harness's own peak RSS."""
import json
import os
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
row("tiny image size (kernel+initrd+meta)", f"{size / 2**20:.1f} MiB", "<= 15 MiB")

boots, overheads, breakdowns, rss = [], [], [], 0
for i in range(3):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        t0 = time.monotonic()
        subprocess.run([vmsweep, "run", "--vcpus", "1", "--workload", "noop", "--concurrency", "1",
                        "--duration", "1s", "--warmup", "0", "--timeout", "10s", "--no-plot",
                        "-q", "-o", out], check=True, stdout=subprocess.DEVNULL)
        total = time.monotonic() - t0
        rss = max(rss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        m = json.load(open(os.path.join(out, "manifest.json")))
        t = m["sizes"][0]["timings_s"]
        boots.append(t["boot_to_ssh_s"])
        breakdowns.append(t)
        overheads.append(total - t["sweep_s"])
med = statistics.median(boots)
row("boot to SSH (median of 3)", f"{med:.1f} s", "<= 10 s")
mid = breakdowns[boots.index(med)]
for k in ("define_s", "boot_to_ssh_s", "push_s", "sweep_s", "pull_s"):
    row(f"  minimal run: {k[:-2]}", f"{mid.get(k, 0):.2f} s")
row("everything but the sweep, per VM size", f"{statistics.median(overheads):.1f} s", "<= 15 s")
row("harness peak RSS", f"{rss / 1024:.1f} MiB")
