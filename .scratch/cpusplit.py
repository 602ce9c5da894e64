import os, sys, time, collections
def snap():
    out = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit(): continue
        try:
            st = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
            cmd = open(f'/proc/{pid}/cmdline').read().replace('\0', ' ')[:70]
        except Exception: continue
        out[pid] = (int(st[11]) + int(st[12]), cmd)
    return out
a = snap(); time.sleep(float(sys.argv[1])); b = snap()
groups = collections.Counter()
for pid, (t, cmd) in b.items():
    d = (t - a.get(pid, (0, ''))[0]) / 100
    if 'postgres' in cmd: g = cmd.split(' (')[0] if False else cmd
    elif 'dagkeeper.js server' in cmd: g = 'server'
    elif 'bench/run' in cmd: g = 'bench'
    else: g = cmd
    groups[g] += d
for g, d in groups.most_common(15):
    if d > 0.05: print(f'{d:8.2f} {g}')
