#!/usr/bin/env python3
"""dashboard_metrics.py -- checks dbpulse's Grafana dashboards against a
live /metrics of the agent (tests/integration/dashboards.sh runs it).

    dashboard_metrics.py structure DASHBOARD...
        valid JSON in Grafana's classic model: unique panel ids (nested
        rows' panels too), gridPos inside 24 columns without overlaps,
        panel types timeseries/stat/table/gauge/row, every data source
        reference the ${datasource} variable (no uid hard-coded, no
        __inputs), a unit on every panel, a legend on every time series
    dashboard_metrics.py names METRICS DASHBOARD...
        every metric name of every PromQL expression (panels' targets,
        template variables' label_values()/query_result(), annotations) is
        a family of METRICS (a saved scrape: # TYPE lines and samples,
        _bucket/_sum/_count of histograms and summaries), the replication
        ones too: the scrape is of a primary with a streaming standby
    dashboard_metrics.py labels METRICS DASHBOARD...
        every label name of a matcher is a label of its metric in METRICS;
        every label of by()/without() is a label of some metric in the
        aggregated expression, of on()/ignoring()/group_left() of some
        metric in the expression (job and instance: Prometheus adds them)
    dashboard_metrics.py rules OUT DASHBOARD...
        writes every expression, Grafana's variables replaced by values,
        as one recording rule each, for `promtool check rules OUT`
    dashboard_metrics.py evaluate PROMETHEUS_URL DASHBOARD...
        runs every expression (variables replaced) as an instant query on a
        Prometheus that scrapes the agent: an error (a many-to-many match,
        a duplicate series) is a problem, and so is no data, but for the
        expressions that only show trouble (a comparison that filters:
        `> 0`, `== 0`); those are listed as remarks
    dashboard_metrics.py all METRICS SRCDIR RULES OUTDIR DASHBOARD...
        structure, names, labels and rules in one run (one interpreter
        start), and whether the JSON is what SRCDIR/dashboards/build.py
        writes ("built"): each check's report in OUTDIR/CHECK.out, its
        status in OUTDIR/CHECK.rc
    dashboard_metrics.py list DASHBOARD...
        prints the expressions (variables replaced), one a line

Problems are printed one a line ("DASHBOARD: PANEL: ..."); the status is
1 when there is any.
"""
import concurrent.futures
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # check_built imports dashboards/build.py: no __pycache__ there

DS_REF = {"type": "prometheus", "uid": "${datasource}"}
PANEL_TYPES = {"timeseries", "stat", "table", "gauge", "row"}

BUILTIN_VARS = {
    "__rate_interval": "1m", "__interval": "1m", "__interval_ms": "60000",
    "__range": "1h", "__range_s": "3600", "__range_ms": "3600000",
}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
FUNCTIONS = {
    "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
    "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp",
    "floor", "histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile",
    "histogram_stddev", "histogram_stdvar", "histogram_sum", "holt_winters", "hour", "idelta",
    "increase", "irate", "label_join", "label_replace", "ln", "log10", "log2", "minute", "month",
    "predict_linear", "rate", "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sqrt",
    "time", "timestamp", "vector", "year", "avg_over_time", "min_over_time", "max_over_time",
    "sum_over_time", "count_over_time", "quantile_over_time", "stddev_over_time",
    "stdvar_over_time", "last_over_time", "present_over_time", "acos", "acosh", "asin", "asinh",
    "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad", "pi",
}
CLAUSES = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN"}
BUILTIN_LABELS = {"job", "instance", "__name__"}


# ---- the dashboards -------------------------------------------------------------------------

def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def all_panels(dash):
    for p in dash.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:  # a collapsed row keeps its panels
            yield q


def variables(dash):
    return dash.get("templating", {}).get("list", [])


def var_values(dash):
    """what each variable becomes in the expressions: a query variable
    (used in =~ matchers) matches anything, a custom one its current value"""
    values = dict(BUILTIN_VARS)
    for v in variables(dash):
        if v.get("type") == "query":
            values[v["name"]] = ".*"
        elif v.get("type") in ("custom", "textbox", "constant", "interval"):
            cur = v.get("current", {}).get("value")
            values[v["name"]] = cur if isinstance(cur, str) and cur else v.get("query", "")
    return values


def substitute(expr, values):
    """Grafana's ${name}, ${name:format}, [[name]] and $name forms"""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in values:
            raise KeyError(name)
        return values[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)", repl, expr)


def var_query(v):
    q = v.get("query", "")
    if isinstance(q, dict):
        q = q.get("query", "")
    return q or v.get("definition", "")


def expressions(path):
    """(where, kind, text) of every PromQL expression in the dashboard:
    kind "expr" for a full expression, "label_values" for (selector, label)"""
    dash = load(path)
    out = []
    for p in all_panels(dash):
        for t in p.get("targets", []) or []:
            if t.get("expr"):
                out.append(("panel %r (id %s) query %s" % (p.get("title"), p.get("id"),
                                                            t.get("refId")), "expr", t["expr"]))
    for v in variables(dash):
        if v.get("type") != "query":
            continue
        q = var_query(v).strip()
        where = "variable $%s" % v.get("name")
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\s*\)", q, re.S)
        if m:
            out.append((where, "label_values", (m.group(1).strip(), m.group(2))))
            continue
        m = re.fullmatch(r"query_result\((.*)\)", q, re.S)
        if m:
            out.append((where, "expr", m.group(1)))
            continue
        if re.fullmatch(r"label_values\(\s*\w+\s*\)|label_names\(.*\)|metrics\(.*\)", q, re.S):
            continue
        out.append((where, "expr", q))  # a classic query that is PromQL
    for a in dash.get("annotations", {}).get("list", []):
        if a.get("expr"):
            out.append(("annotation %r" % a.get("name"), "expr", a["expr"]))
    return dash, out


# ---- PromQL, as far as names go ---------------------------------------------------------------

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^=<>(){},])
""", re.X)


def tokenize(expr):
    pos, toks = 0, []
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError("cannot read %r" % expr[pos:pos + 20])
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            toks.append((kind, m.group()))
    return toks


def matching(toks, i):
    """index of the parenthesis or brace closing toks[i]"""
    opener = toks[i][1]
    closer = {"(": ")", "{": "}"}[opener]
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][1] == opener:
            depth += 1
        elif toks[j][1] == closer:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced %r" % opener)


def analyse(expr):
    """metrics: [(index, name)]; matchers: [(metric, label)];
    clauses: [(clause, label, first, last)] with the token range the labels
    apply to; problems: [text]"""
    toks = tokenize(expr)
    metrics, matchers, clauses, problems = [], [], [], []
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if kind == "ident" and text in CLAUSES and nxt == "(":
            close = matching(toks, i + 1)
            labels = [t for k, t in toks[i + 2:close] if k == "ident"]
            first, last = 0, len(toks) - 1
            if text in ("by", "without"):
                first, last = agg_scope(toks, i)
            clauses += [(text, label, first, last) for label in labels]
            i = close + 1
            continue
        if kind == "ident" and text in CLAUSES:  # group_left without labels
            i += 1
            continue
        if kind == "ident" and text in AGGREGATIONS and nxt in ("(", "by", "without"):
            i += 1
            continue
        if kind == "ident" and nxt == "(":
            if text not in FUNCTIONS:
                problems.append("unknown function %s()" % text)
            i += 1
            continue
        if kind == "ident" and text in KEYWORDS:
            i += 1
            continue
        if kind == "ident" or text == "{":
            name = text if kind == "ident" else None
            j = i + 1 if kind == "ident" else i
            if j < len(toks) and toks[j][1] == "{":
                close = matching(toks, j)
                body = toks[j + 1:close]
                labels = []
                for k in range(len(body) - 2):
                    if body[k][0] == "ident" and body[k + 1][1] in ("=", "!=", "=~", "!~"):
                        labels.append(body[k][1])
                        if body[k][1] == "__name__" and body[k + 1][1] == "=" and name is None:
                            name = body[k + 2][1][1:-1]
                matchers += [(name, label) for label in labels if label != "__name__"]
                i = close + 1
            else:
                i = j
            if name:
                metrics.append((i - 1, name))
            continue
        i += 1
    return metrics, matchers, clauses, problems


def agg_scope(toks, i):
    """the token range an aggregation's by()/without() at toks[i] applies to:
    `agg by (l) (ARG)` or `agg (ARG) by (l)` (with a parameter: `topk by (l) (5, ARG)`)"""
    close = matching(toks, i + 1)
    if close + 1 < len(toks) and toks[close + 1][1] == "(":  # agg by (...) (ARG)
        return close + 1, matching(toks, close + 1)
    # agg (ARG) by (...): ARG is the parenthesis just before
    j = i - 1
    if j >= 0 and toks[j][1] == ")":
        depth = 0
        for k in range(j, -1, -1):
            if toks[k][1] == ")":
                depth += 1
            elif toks[k][1] == "(":
                depth -= 1
                if depth == 0:
                    return k, j
    return 0, len(toks) - 1


# ---- the scrape -------------------------------------------------------------------------------

SAMPLE_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|\})')


def families(path):
    """{metric name: set of its label names} from a saved /metrics"""
    fams, types = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# TYPE "):
                parts = line.split()
                if len(parts) >= 4:
                    types[parts[2]] = parts[3]
                    fams.setdefault(parts[2], set())
                continue
            if not line or line.startswith("#"):
                continue
            m = SAMPLE_NAME.match(line)
            if not m:
                continue
            name, pos, labels = m.group(), m.end(), set()
            if line[pos:pos + 1] == "{":
                pos += 1
                if line[pos:pos + 1] == "}":
                    pos += 1
                while line[pos - 1:pos] != "}" and pos < len(line):
                    lm = LABEL.match(line, pos)
                    if not lm:
                        break
                    labels.add(lm.group(1))
                    pos = lm.end()
            fams.setdefault(name, set()).update(labels)
    for name, kind in types.items():
        if kind in ("histogram", "summary"):
            for suffix in ("_bucket", "_sum", "_count"):
                if name + suffix in fams:
                    fams[name].update(fams[name + suffix] - {"le"})
                else:
                    fams[name + suffix] = set(fams[name])
    return fams


# ---- the checks -------------------------------------------------------------------------------

def check_structure(paths):
    problems = []
    for path in paths:
        try:
            dash = load(path)
        except (OSError, ValueError) as e:
            problems.append("%s: not valid JSON: %s" % (path, e))
            continue
        name = path.rsplit("/", 1)[-1]
        if "__inputs" in dash:
            problems.append("%s: has __inputs (use the datasource variable)" % name)
        for key in ("uid", "title", "schemaVersion", "panels", "templating"):
            if key not in dash:
                problems.append("%s: no %r" % (name, key))
        if not isinstance(dash.get("schemaVersion"), int) or dash.get("schemaVersion", 0) < 36:
            problems.append("%s: schemaVersion %r is older than Grafana 9" %
                            (name, dash.get("schemaVersion")))
        ds_vars = [v for v in variables(dash) if v.get("type") == "datasource"]
        if [v.get("name") for v in ds_vars] != ["datasource"] or ds_vars[0].get("query") != "prometheus":
            problems.append("%s: needs one Prometheus datasource variable named datasource" % name)
        seen, cells = {}, {}
        for p in all_panels(dash):
            title = "%s: panel %r" % (name, p.get("title"))
            pid = p.get("id")
            if not isinstance(pid, int):
                problems.append("%s: no numeric id" % title)
            elif pid in seen:
                problems.append("%s: id %s is also panel %r's" % (title, pid, seen[pid]))
            else:
                seen[pid] = p.get("title")
            if p.get("type") not in PANEL_TYPES:
                problems.append("%s: type %r" % (title, p.get("type")))
            g = p.get("gridPos", {})
            try:
                x, y, w, h = g["x"], g["y"], g["w"], g["h"]
            except KeyError:
                problems.append("%s: gridPos %r" % (title, g))
                continue
            if x < 0 or w < 1 or h < 1 or x + w > 24:
                problems.append("%s: gridPos %r outside the 24 columns" % (title, g))
            for cx in range(x, x + w):
                for cy in range(y, y + h):
                    if (cx, cy) in cells:
                        problems.append("%s: overlaps panel %r at x=%d y=%d" %
                                        (title, cells[(cx, cy)], cx, cy))
                        break
                    cells[(cx, cy)] = p.get("title")
                else:
                    continue
                break
            if p.get("type") == "row":
                continue
            if p.get("datasource") != DS_REF:
                problems.append("%s: datasource %r, not the variable" % (title, p.get("datasource")))
            targets = p.get("targets") or []
            if not targets:
                problems.append("%s: no query" % title)
            for t in targets:
                if t.get("datasource") != DS_REF:
                    problems.append("%s: query %s: datasource %r" % (title, t.get("refId"),
                                                                    t.get("datasource")))
                if not t.get("expr"):
                    problems.append("%s: query %s has no expr" % (title, t.get("refId")))
                if p.get("type") == "timeseries" and not t.get("legendFormat"):
                    problems.append("%s: query %s has no legend" % (title, t.get("refId")))
            if len({t.get("refId") for t in targets}) != len(targets):
                problems.append("%s: refIds repeat" % title)
            unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
            if not unit:
                problems.append("%s: no unit" % title)
        for v in variables(dash):
            if v.get("type") == "query" and v.get("datasource") != DS_REF:
                problems.append("%s: variable $%s: datasource %r" % (name, v.get("name"),
                                                                    v.get("datasource")))
        for a in dash.get("annotations", {}).get("list", []):
            if a.get("expr") and a.get("datasource") != DS_REF:
                problems.append("%s: annotation %r: datasource %r" % (name, a.get("name"),
                                                                     a.get("datasource")))
        text = json.dumps(dash)
        for m in re.finditer(r'"uid": "([^"]*)"', text):
            if m.group(1) not in ("${datasource}", "-- Grafana --", dash.get("uid")):
                problems.append("%s: hard-coded uid %r" % (name, m.group(1)))
    return problems


def each_expression(paths):
    """(dashboard name, where, kind, substituted text or (selector, label)), problems"""
    out, problems = [], []
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        dash, exprs = expressions(path)
        values = var_values(dash)
        for where, kind, text in exprs:
            try:
                if kind == "label_values":
                    out.append((name, where, kind, (substitute(text[0], values), text[1])))
                else:
                    out.append((name, where, kind, substitute(text, values)))
            except KeyError as e:
                problems.append("%s: %s: unknown variable $%s" % (name, where, e.args[0]))
    return out, problems


def check_names(metrics_path, paths):
    fams = families(metrics_path)
    exprs, problems = each_expression(paths)
    used = 0
    for name, where, kind, text in exprs:
        expr = text[0] if kind == "label_values" else text
        try:
            metrics, _, _, bad = analyse(expr)
        except ValueError as e:
            problems.append("%s: %s: %s" % (name, where, e))
            continue
        problems += ["%s: %s: %s" % (name, where, b) for b in bad]
        for _, metric in metrics:
            used += 1
            if metric not in fams:
                problems.append("%s: %s: metric %s: not in the agent's /metrics" %
                                (name, where, metric))
        if not metrics:
            problems.append("%s: %s: no metric in %r" % (name, where, expr))
    print("%d expressions, %d metric references, %d distinct names" % (
        len(exprs), used, len({m for _, _, k, t in exprs
                               for _, m in analyse(t[0] if k == "label_values" else t)[0]})))
    return problems


def labels_of(metric, fams):
    if metric in fams:
        return fams[metric] | BUILTIN_LABELS
    return None  # unknown metric: `names` reports it


def check_labels(metrics_path, paths):
    fams = families(metrics_path)
    exprs, problems = each_expression(paths)
    checked = 0
    for name, where, kind, text in exprs:
        expr = text[0] if kind == "label_values" else text
        metrics, matchers, clauses, _ = analyse(expr)
        if kind == "label_values":
            for _, metric in metrics:
                have = labels_of(metric, fams)
                checked += 1
                if have is not None and text[1] not in have:
                    problems.append("%s: %s: label_values: %s has no label %r" %
                                    (name, where, metric, text[1]))
        for metric, label in matchers:
            have = labels_of(metric, fams) if metric else None
            checked += 1
            if have is not None and label not in have:
                problems.append("%s: %s: %s{%s...}: no such label (it has %s)" % (
                    name, where, metric, label, ", ".join(sorted(have - BUILTIN_LABELS))))
        for clause, label, first, last in clauses:
            scope = [m for idx, m in metrics if first <= idx <= last]
            known = [labels_of(m, fams) for m in scope]
            known = [k for k in known if k is not None]
            checked += 1
            if known and not any(label in k for k in known):
                problems.append("%s: %s: %s(%s): no metric of %s has that label" % (
                    name, where, clause, label, ", ".join(sorted(set(scope)))))
    print("%d label references checked" % checked)
    return problems


def write_rules(out, paths):
    exprs, problems = each_expression(paths)
    with open(out, "w", encoding="utf-8") as f:
        f.write("groups:\n  - name: dashboards\n    rules:\n")
        for n, (name, where, kind, text) in enumerate(exprs):
            expr = text[0] if kind == "label_values" else text
            f.write("      # %s: %s\n" % (name, where.replace("\n", " ")))
            f.write("      - record: dashboard:expr_%03d\n        expr: %s\n" % (n, json.dumps(expr)))
    print("%d expressions written to %s" % (len(exprs), out))
    return problems


def may_be_empty(expr):
    """true for an expression that shows only trouble: empty on healthy
    test servers"""
    return bool(re.search(r"\)\s*(>|==)\s*0\b|\}\s*(>|==)\s*0\b", expr))


def instant(url, expr, at):
    """Prometheus' answer to an instant query at time AT (a dict)"""
    query = urllib.parse.urlencode({"query": expr, "time": "%.3f" % at})
    try:
        with urllib.request.urlopen("%s/api/v1/query?%s" % (url, query), timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def by_target(answer):
    out = {}
    for r in answer["data"]["result"]:
        t = r["metric"].get("target", "")
        out[t] = out.get(t, 0.0) + float(r["value"][1])
    return out


def check_stack(name, panel, url, at, values):
    """a panel stacking the top statements, the other exported ones and
    queryid="other" (queries A, B, C) must add up to its total (D)"""
    values = dict(values, topn="2")  # fewer than statements_top: "the rest" is not empty
    exprs = [substitute(t["expr"], values) for t in panel["targets"]]
    sums = [by_target(instant(url, e, at)) for e in exprs]
    problems = []
    for tgt, total in sums[3].items():
        parts = sum(s.get(tgt, 0.0) for s in sums[:3])
        if abs(parts - total) > 1e-6 * max(1.0, abs(total)):
            problems.append("%s: panel %r: target %s: top + rest + other = %g, total %g" % (
                name, panel["title"], tgt, parts, total))
    if not sums[3] or not sums[2]:
        problems.append("%s: panel %r: no total or no other to compare" % (name, panel["title"]))
    return problems


def evaluate(url, paths):
    at = time.time() - 1  # one instant for all: the stacked panels' parts add up
    exprs, problems = each_expression(paths)
    remarks, n = [], 0

    def ask(item):
        expr = item[3][0] if item[2] == "label_values" else item[3]
        try:
            return expr, instant(url, expr, at)
        except (OSError, ValueError) as e:
            return expr, e
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(ask, exprs))
    for (name, where, _, _), (expr, answer) in zip(exprs, answers):
        if isinstance(answer, Exception):
            problems.append("%s: %s: cannot query Prometheus: %s" % (name, where, answer))
            continue
        n += 1
        if answer.get("status") != "success":
            problems.append("%s: %s: %s: %s" % (name, where, answer.get("errorType"),
                                                answer.get("error")))
            continue
        if answer["data"]["result"]:
            continue
        if may_be_empty(expr):
            remarks.append("(no data, as expected here) %s: %s" % (name, where))
        else:
            problems.append("%s: %s: no data for %s" % (name, where, expr))
    stacks = 0
    for path in paths:
        dash = load(path)
        for p in all_panels(dash):
            if p.get("title", "").endswith("the rest, and other"):
                stacks += 1
                problems += check_stack(path.rsplit("/", 1)[-1], p, url, at, var_values(dash))
    print("%d expressions evaluated, %d with data, %d expectedly empty; %d stacked panels checked"
          % (n, n - len(remarks) - len([p for p in problems if "no data" in p]), len(remarks),
             stacks))
    for r in remarks:
        print(r)
    return problems


def check_built(srcdir, paths):
    import importlib.util
    spec = importlib.util.spec_from_file_location("build", srcdir + "/dashboards/build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    problems = []
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        fn = {"dbpulse-overview.json": build.overview, "dbpulse-queries.json": build.queries}.get(name)
        with open(path, encoding="utf-8") as f:
            if fn is None or f.read() != build.render(fn()):
                problems.append("%s: not what dashboards/build.py writes (run it)" % name)
    return problems


def run_all(metrics, srcdir, rules, outdir, paths):
    import contextlib
    import io
    checks = (("structure", lambda: check_structure(paths)),
              ("built", lambda: check_built(srcdir, paths)),
              ("names", lambda: check_names(metrics, paths)),
              ("labels", lambda: check_labels(metrics, paths)),
              ("rules", lambda: write_rules(rules, paths)))
    for name, fn in checks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                problems = fn()
            except Exception as e:  # a crash is a failed check, with its reason
                problems = ["%s crashed: %r" % (name, e)]
            for p in dict.fromkeys(problems):
                print(p)
        with open("%s/%s.out" % (outdir, name), "w", encoding="utf-8") as f:
            f.write(out.getvalue())
        with open("%s/%s.rc" % (outdir, name), "w", encoding="utf-8") as f:
            f.write("1\n" if problems else "0\n")
    return []


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "structure":
        problems = check_structure(argv[2:])
    elif cmd == "names":
        problems = check_names(argv[2], argv[3:])
    elif cmd == "labels":
        problems = check_labels(argv[2], argv[3:])
    elif cmd == "rules":
        problems = write_rules(argv[2], argv[3:])
    elif cmd == "all":
        problems = run_all(argv[2], argv[3], argv[4], argv[5], argv[6:])
    elif cmd == "evaluate":
        problems = evaluate(argv[2], argv[3:])
    elif cmd == "list":
        exprs, problems = each_expression(argv[2:])
        for name, where, kind, text in exprs:
            print("%s\t%s\t%s" % (name, where, text[0] if kind == "label_values" else text))
    else:
        print(__doc__)
        return 2
    for p in dict.fromkeys(problems):  # once each, in order
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
