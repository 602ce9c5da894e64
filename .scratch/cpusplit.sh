#!/bin/bash
# usage: cpusplit.sh seconds ; prints CPU seconds per process group over the window
snap() {
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ -r $p/stat ] || continue
    cmd=$(tr '\0' ' ' < $p/cmdline 2>/dev/null | cut -c1-60)
    st=$(cut -d' ' -f14,15 $p/stat 2>/dev/null) || continue
    echo "$pid|$st|$cmd"
  done
}
snap > /tmp/snapA; sleep $1; snap > /tmp/snapB
LC_ALL=C join -t"|" <(LC_ALL=C sort /tmp/snapA) <(LC_ALL=C sort /tmp/snapB) | awk -F'|' '{split($2,a," "); split($4,b," "); d=(b[1]+b[2]-a[1]-a[2])/100; cmd=$3; if (cmd ~ /postgres/) g=cmd; else if (cmd ~ /dagkeeper.js server/) g="server"; else if (cmd ~ /bench\/run/) g="bench"; else g=cmd; s[g]+=d} END {for (g in s) if (s[g]>0.05) printf "%8.2f %s\n", s[g], g}' | sort -rn
