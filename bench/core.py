#!/usr/bin/env python3
"""Core-loop benchmark: tidemark point / restore beside cp -a and rsync -a on the same tree, in one run.

Scenarios (each repeated, tools alternating A B / B A so neither always runs on a warmer cache):
  first      first point of the tree      vs  cp -a src -> empty dir, rsync -a src -> empty dir
  nochange   point with nothing changed   vs  rsync -a onto an up-to-date copy
  changed1   point after 1 % of files were rewritten  vs  rsync -a onto the copy after the same change
  restore    full restore to an empty dir vs  cp -a and rsync -a of the source to an empty dir

Each repetition writes to a new loop-mounted ext4 file system when run as root (--no-fresh-fs to skip): on a
file system with many recent deletions, ext4 creates files far more slowly, which would add noise to whichever
tool runs next. Times are wall-clock seconds of the whole command, JVM start-up included, with a warm page cache (the tree fits in
memory; both sides read it from there). tidemark forces every pack, manifest and point to disk before it reports
success; cp and rsync do not fsync.

usage: bench/core.py [--files N] [--reps R] [--work DIR] [--out FILE.json]
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TIDEMARK = os.path.join(ROOT, "bin", "tidemark")


def sh(*args, **kw):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, **kw)


def timed(*args):
    t0 = time.perf_counter()
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit("benchmark command failed (%d): %s\n%s%s" % (r.returncode, " ".join(args), r.stdout, r.stderr))
    return dt, r.stdout


def rm(p):
    if os.path.lexists(p):
        shutil.rmtree(p)


def count_files(p):
    n = 0
    size = 0
    for d, _, fs in os.walk(p):
        for f in fs:
            n += 1
            size += os.lstat(os.path.join(d, f)).st_size
    return n, size


def write_config(work, src):
    cfg = os.path.join(work, "tidemark.json")
    with open(cfg, "w") as f:
        json.dump({"repository": os.path.join(work, "repo"), "state": os.path.join(work, "state"),
                   "trees": [{"name": "facedata", "path": src}]}, f)
    return cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=60000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--out")
    ap.add_argument("--keep", action="store_true", help="keep this run's copies, restores and repositories")
    ap.add_argument("--no-fresh-fs", dest="fresh_fs", action="store_false",
                    help="do not put each repetition's outputs on a new loop-mounted ext4 (needs root)")
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "src-%d" % a.files)
    if not os.path.isdir(src):
        print("generating %d files in %s" % (a.files, src), flush=True)
        sh(sys.executable, os.path.join(HERE, "gen_tree.py"), src, "--files", str(a.files))
    if not os.path.exists(TIDEMARK) or not any(f.endswith(".jar") for f in os.listdir(os.path.join(ROOT, "target"))):
        sys.exit("build tidemark first: mvn -q -B package -DskipTests")
    src_files, src_bytes = count_files(src)
    # Every output goes to a new directory and nothing is deleted during the run: on ext4, files created soon
    # after many deletions are slow to create (the inode allocator skips recently deleted inodes), which would
    # punish whichever tool runs after a clean-up.
    run_dir = os.path.join(work, "run-%d" % int(time.time()))
    os.makedirs(run_dir)
    t = {k: [] for k in ["first.tidemark", "first.cp", "first.rsync", "nochange.tidemark", "nochange.rsync",
                         "changed1.tidemark", "changed1.rsync", "restore.tidemark", "restore.tidemark-sync",
                         "restore.cp", "restore.rsync"]}
    repo_stats = None
    fresh = a.fresh_fs and os.geteuid() == 0 and shutil.which("mkfs.ext4") and shutil.which("mount")
    if a.fresh_fs and not fresh:
        print("note: not root or no mkfs.ext4: outputs go to %s; expect noise from earlier deletions" % run_dir)
    for rep in range(a.reps):
        flip = rep % 2 == 1
        d = os.path.join(run_dir, "rep%d" % rep)
        os.makedirs(d)
        image = None
        if fresh:
            # A new ext4 file system per repetition: nothing deleted on it before, same state for every tool.
            image = d + ".img"
            with open(image, "wb") as f:
                f.truncate(src_bytes * 9 + (2 << 30))
            sh("mkfs.ext4", "-q", "-F", "-i", "4096", image)
            sh("mount", "-o", "loop", image, d)
        cfg = write_config(d, src)
        sh(TIDEMARK, "init", "--config", cfg, "-q")
        runs = [("first.cp", lambda: timed("cp", "-a", src, os.path.join(d, "cp"))),
                ("first.rsync", lambda: timed("rsync", "-a", src + "/", os.path.join(d, "rs") + "/")),
                ("first.tidemark", lambda: timed(TIDEMARK, "point", "--config", cfg, "-q"))]
        for name, fn in (reversed(runs) if flip else runs):
            t[name].append(fn()[0])
        if repo_stats is None:
            repo_stats = count_files(os.path.join(d, "repo"))
        runs = [("nochange.rsync", lambda: timed("rsync", "-a", src + "/", os.path.join(d, "rs") + "/")),
                ("nochange.tidemark", lambda: timed(TIDEMARK, "point", "--config", cfg, "-q"))]
        for name, fn in (reversed(runs) if flip else runs):
            t[name].append(fn()[0])
        sh(sys.executable, os.path.join(HERE, "gen_tree.py"), src, "--files", str(a.files), "--change", "1",
           "--round", str(int(time.time())))
        runs = [("changed1.rsync", lambda: timed("rsync", "-a", src + "/", os.path.join(d, "rs") + "/")),
                ("changed1.tidemark", lambda: timed(TIDEMARK, "point", "--config", cfg, "-q"))]
        for name, fn in (reversed(runs) if flip else runs):
            t[name].append(fn()[0])
        runs = [("restore.cp", lambda: timed("cp", "-a", src, os.path.join(d, "cp2"))),
                ("restore.rsync", lambda: timed("rsync", "-a", src + "/", os.path.join(d, "rs2") + "/")),
                ("restore.tidemark", lambda: timed(TIDEMARK, "restore", "latest", "--config", cfg, "-q",
                                                   "--no-sync", "--to", os.path.join(d, "restore"))),
                ("restore.tidemark-sync", lambda: timed(TIDEMARK, "restore", "latest", "--config", cfg, "-q",
                                                        "--to", os.path.join(d, "restore-sync")))]
        for name, fn in (reversed(runs) if flip else runs):
            t[name].append(fn()[0])
        # The restore must be right, or its time means nothing.
        sh("diff", "-r", "-q", src, os.path.join(d, "restore", "facedata"))
        print("rep %d: %s" % (rep + 1, ", ".join("%s %.2fs" % (k, v[-1]) for k, v in t.items())), flush=True)
        if image:
            sh("umount", d)
            os.remove(image)
    if not a.keep:
        shutil.rmtree(run_dir)

    med = {k: statistics.median(v) for k, v in t.items()}
    ratios = {
        "first point / cp -a": med["first.tidemark"] / med["first.cp"],
        "first point / rsync -a": med["first.tidemark"] / med["first.rsync"],
        "no-change point / rsync -a": med["nochange.tidemark"] / med["nochange.rsync"],
        "1%-changed point / rsync -a": med["changed1.tidemark"] / med["changed1.rsync"],
        "full restore (--no-sync) / rsync -a": med["restore.tidemark"] / med["restore.rsync"],
        "full restore (--no-sync) / cp -a": med["restore.tidemark"] / med["restore.cp"],
        "full restore (synced) / rsync -a": med["restore.tidemark-sync"] / med["restore.rsync"],
    }
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "kernel": os.uname().release},
        "tree": {"files": src_files, "bytes": src_bytes, "dirs": 512},
        "repository": {"files": repo_stats[0], "bytes": repo_stats[1],
                       "files_vs_source": repo_stats[0] / src_files},
        "reps": a.reps, "seconds": t, "median_seconds": med, "ratios": ratios,
    }
    print()
    print("tree: %d files, %.1f MiB; repository after first point: %d files (%.2f %% of the source's count), %.1f MiB"
          % (src_files, src_bytes / 2**20, repo_stats[0], 100.0 * repo_stats[0] / src_files, repo_stats[1] / 2**20))
    print("| scenario | tidemark (s) | anchor (s) | ratio |")
    print("|---|---:|---:|---:|")
    rows = [("first point vs cp -a", "first.tidemark", "first.cp"),
            ("first point vs rsync -a", "first.tidemark", "first.rsync"),
            ("no-change point vs rsync -a", "nochange.tidemark", "nochange.rsync"),
            ("1%-changed point vs rsync -a", "changed1.tidemark", "changed1.rsync"),
            ("full restore (--no-sync) vs rsync -a", "restore.tidemark", "restore.rsync"),
            ("full restore (--no-sync) vs cp -a", "restore.tidemark", "restore.cp"),
            ("full restore (synced) vs rsync -a", "restore.tidemark-sync", "restore.rsync")]
    for label, x, y in rows:
        print("| %s | %.2f | %.2f | %.2f |" % (label, med[x], med[y], med[x] / med[y]))
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
