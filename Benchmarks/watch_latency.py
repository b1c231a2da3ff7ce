"""How long after its write a new file is searchable under `engram watch` (docs/serving.md).

Usage: python3 Benchmarks/watch_latency.py [ENGRAM] — writes 10 files one at a time into a copy of
fixtures/docs and times each until `engram search WORD --mode lexical` lists it; prints the median.
"""
import sys
import subprocess, time, statistics, os, shutil, tempfile
E=sys.argv[1] if len(sys.argv) > 1 else ".build/release/engram"
d=tempfile.mkdtemp(); docs=os.path.join(d,"docs"); shutil.copytree("fixtures/docs", docs)
idx=os.path.join(d,"w.sqlite")
w=subprocess.Popen([E,"watch",docs,"--index",idx,"--json"],stdout=subprocess.PIPE,stderr=subprocess.DEVNULL,text=True)
w.stdout.readline()  # first run done
lat=[]
for i in range(10):
    word=f"zebrafinch{i}quux"
    t0=time.time()
    with open(os.path.join(docs,"notes",f"new{i}.md"),"w") as f: f.write(f"# Note {i}\n\nThe {word} sings at dawn.\n")
    while True:
        p=subprocess.run([E,"search",word,"--index",idx,"--mode","lexical","--no-memory","-l"],capture_output=True,text=True)
        if p.returncode==0 and f"new{i}.md" in p.stdout: break
        if time.time()-t0>30: break
        time.sleep(0.05)
    lat.append(time.time()-t0)
    time.sleep(0.5)
w.terminate()
print("latencies", [round(x,2) for x in lat]); print("median %.2f s"%statistics.median(lat))
