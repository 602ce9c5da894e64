import json, sys, collections
p = json.load(open(sys.argv[1]))
nodes = {n['id']: n for n in p['nodes']}
dt = collections.Counter()
for s, d in zip(p['samples'], p['timeDeltas']): dt[s] += d
parent = {}
for n in p['nodes']:
    for c in n.get('children', []): parent[c] = n['id']
def where(n):
    cf = n['callFrame']; url = cf['url']
    if 'node_modules' in url: return url.split('node_modules/')[-1].split('/')[0] + ('/'+url.split('node_modules/')[-1].split('/')[1] if url.split('node_modules/')[-1].startswith('@') else '')
    if url.startswith('node:'): return url
    if '/dist/' in url: return 'dist/' + url.split('/dist/')[-1]
    return cf['functionName'] or '(' + url + ')'
self_pkg = collections.Counter(); self_fn = collections.Counter()
total = sum(dt.values())
for nid, t in dt.items():
    n = nodes[nid]; cf = n['callFrame']
    self_pkg[where(n)] += t
    self_fn[(cf['functionName'], where(n))] += t
print('total ms', total/1000)
for k, v in self_pkg.most_common(25): print(f'{v/total*100:5.1f}% {k}')
print('---')
for k, v in self_fn.most_common(30): print(f'{v/total*100:5.1f}% {k}')
