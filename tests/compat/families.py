#!/usr/bin/python3
"""families.py -- metric families of a Prometheus exposition, compared.

dbpulse serves the peer exporters' names (node_exporter, postgres_exporter,
redis_exporter, pgbouncer_exporter) so that their dashboards and alert rules
keep working.  This tool is what the compatibility test
(tests/integration/compat.sh) and the promtool checks use:

  families.py list EXPOSITION
      one line per family: "NAME TYPE LABEL,LABEL..." (labels of all its
      samples; le/quantile and histogram/summary suffixes folded in).
  families.py compare PEER PEER_EXPOSITION DBPULSE_EXPOSITION EXCEPTIONS
      every family of the peer's exposition must be in dbpulse's with the
      same TYPE and its label names (dbpulse may add labels: target); prints
      "ok NAME", "excepted NAME: REASON" or "missing NAME" / "differs NAME:
      WHY", then a summary line "PEER: N families, M served, E excepted, F
      failed"; exits 1 when one failed.  An exceptions line that excuses
      nothing is reported too ("stale exception"), so the file stays true.
  families.py upstream PEER DBPULSE_EXPOSITION UPSTREAM
      the names of UPSTREAM's section PEER (names of the current releases,
      with the release each came from) must be families of dbpulse's
      exposition, same TYPE where one is given; same output and exit.
  families.py lint PROMTOOL_OUTPUT REVIEWED
      promtool check metrics' remarks that the reviewed file does not list
      (peer names whose remark is the peer's own); exits 1 when any is left.

Files (tests/compat/):
  exceptions.txt  "[peer]" sections of "NAME<TAB>REASON" (a family the peer
                  serves and dbpulse does not, or serves otherwise),
                  "NAME{LABEL}<TAB>REASON" (one label of it),
                  "PREFIX*{LABEL}<TAB>REASON" (that label of every family
                  named so; stale when it excuses none) or
                  "PREFIX*<TAB>REASON" (families dbpulse does not serve, of a
                  collector left out: hardware other machines have; never
                  stale).
  upstream.txt    "[peer]" sections of "NAME<TAB>TYPE<TAB>RELEASE<TAB>NOTE"
                  (TYPE may be "-": any).
  promtool.txt    "NAME<TAB>PEER<TAB>REMARK" (promtool's words).
Lines starting with "#" and empty lines are comments.
"""
import re
import sys

RUNTIME = ("go_", "promhttp_", "process_")
SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"')


def families(path):
    """{name: (type, {labels})} of an exposition file."""
    types, labels = {}, {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("# TYPE "):
                parts = line.split()
                if len(parts) >= 4:
                    types[parts[2]] = parts[3]
                    labels.setdefault(parts[2], set())
                continue
            if line.startswith("#") or not line.strip():
                continue
            m = SAMPLE.match(line)
            if not m:
                continue
            name = m.group(1)
            base = name
            if name not in types:
                for suffix in ("_bucket", "_sum", "_count", "_created"):
                    stem = name[: -len(suffix)]
                    if name.endswith(suffix) and types.get(stem) in ("histogram", "summary"):
                        base = stem
                        break
            if base not in types:
                types[base] = "untyped"
            names = set(LABEL.findall(m.group(2) or ""))
            names.discard("le")
            names.discard("quantile")
            labels.setdefault(base, set()).update(names)
    return {n: (types[n], labels.get(n, set())) for n in types}


def sections(path):
    """{section: [fields...]} of a tab-separated reviewed file."""
    out, cur = {}, None
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.fullmatch(r"\[([a-z_]+)\]", line.strip())
            if m:
                cur = m.group(1)
                out.setdefault(cur, [])
                continue
            fields = line.split("\t")
            if cur is None or len(fields) < 2:
                sys.exit("%s:%d: expected a [peer] section, then NAME<TAB>..." % (path, number))
            out[cur].append((number, fields))
    return out


def cmd_list(path):
    for name, (typ, labels) in sorted(families(path).items()):
        print(name, typ, ",".join(sorted(labels)))
    return 0


def cmd_compare(peer, peer_path, db_path, exceptions_path):
    theirs = families(peer_path)
    ours = families(db_path)
    excepted, globs, label_globs = {}, [], []
    for number, fields in sections(exceptions_path).get(peer, []):
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\*\{([a-zA-Z_][a-zA-Z0-9_]*)\}", fields[0])
        if m:
            label_globs.append([m.group(1), m.group(2), number, fields[1], 0])
        elif fields[0].endswith("*"):
            globs.append((fields[0][:-1], fields[1]))
        else:
            excepted[fields[0]] = (number, fields[1])
    used = set()
    served = failed = nexcepted = total = 0
    for name, (typ, labels) in sorted(theirs.items()):
        if name.startswith(RUNTIME):
            continue
        total += 1
        if name in excepted:
            used.add(name)
            nexcepted += 1
            print("excepted %s: %s" % (name, excepted[name][1]))
            continue
        glob = [reason for prefix, reason in globs if name.startswith(prefix)]
        if glob and name not in ours:
            nexcepted += 1
            print("excepted %s: %s" % (name, glob[0]))
            continue
        if name not in ours:
            failed += 1
            print("missing %s (%s %s)" % (name, typ, ",".join(sorted(labels))))
            continue
        why = []
        if ours[name][0] != typ:
            why.append("TYPE %s, the peer's %s" % (ours[name][0], typ))
        for label in sorted(labels - ours[name][1]):
            key = "%s{%s}" % (name, label)
            lglob = [g for g in label_globs if name.startswith(g[0]) and label == g[1]]
            if key in excepted:
                used.add(key)
                print("excepted %s: %s" % (key, excepted[key][1]))
            elif lglob:
                lglob[0][4] += 1
                print("excepted %s: %s" % (key, lglob[0][3]))
            else:
                why.append("no label %s" % label)
        if why:
            failed += 1
            print("differs %s: %s" % (name, "; ".join(why)))
        else:
            served += 1
            print("ok %s" % name)
    for prefix, label, number, reason, n in label_globs:
        if not n:
            failed += 1
            print("stale exception %s*{%s} (%s line %d): no family of the peer's lacks it here"
                  % (prefix, label, exceptions_path, number))
    for key, (number, reason) in sorted(excepted.items()):
        if key not in used:
            failed += 1
            print("stale exception %s (%s line %d): the peer serves no such family or label here,"
                  " or dbpulse serves it" % (key, exceptions_path, number))
    print("%s: %d families, %d served, %d excepted, %d failed" %
          (peer, total, served, nexcepted, failed))
    return 1 if failed else 0


def cmd_upstream(peer, db_path, upstream_path):
    ours = families(db_path)
    lines = sections(upstream_path).get(peer, [])
    failed = 0
    for number, fields in lines:
        name = fields[0]
        typ = fields[1] if len(fields) > 1 else "-"
        release = fields[2] if len(fields) > 2 else "?"
        if name not in ours:
            failed += 1
            print("missing %s (%s, %s line %d)" % (name, release, upstream_path, number))
        elif typ != "-" and ours[name][0] != typ:
            failed += 1
            print("differs %s: TYPE %s, upstream's %s (%s)" % (name, ours[name][0], typ, release))
        else:
            print("ok %s (%s)" % (name, release))
    print("%s upstream: %d names, %d served, %d failed" %
          (peer, len(lines), len(lines) - failed, failed))
    return 1 if failed else 0


def cmd_lint(output_path, reviewed_path):
    reviewed = set()
    with open(reviewed_path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) == 3:
                reviewed.add((fields[0], fields[2]))
    left = 0
    with open(output_path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line:
                continue
            name, _, remark = line.partition(" ")
            if (name, remark) in reviewed:
                continue
            left += 1
            print(line)
    return 1 if left else 0


def main(argv):
    cmds = {"list": (cmd_list, 1), "compare": (cmd_compare, 4),
            "upstream": (cmd_upstream, 3), "lint": (cmd_lint, 2)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
