#!/usr/bin/env python3
"""panels.py -- the pieces build.py makes dbpulse's Grafana dashboards of:
panels (timeseries, stat, gauge, table) with units, legends and the
${datasource} variable, template variables, and the layout that gives every
panel a unique id and a place in the 24-column grid, row by row, without
overlaps.  Grafana's classic dashboard model, schemaVersion 39."""

DS = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39  # Grafana 10.3 to 11 (newer ones migrate it on import)
AGENT = 'job=~"$job",instance=~"$instance"'
RI = "$__rate_interval"


def sel(metric, *matchers):
    """metric{job=~"$job",instance=~"$instance",MATCHERS...}"""
    return "%s{%s}" % (metric, ",".join((AGENT,) + matchers))


# ---- panels -------------------------------------------------------------------------------

def target(expr, legend="", instant=False, fmt="time_series"):
    t = {"datasource": DS, "expr": expr, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant, "format": fmt, "editorMode": "code"}
    return t


def thresholds(*steps):
    """steps: (value or None, colour) ..."""
    return {"mode": "absolute",
            "steps": [{"color": c, "value": v} for v, c in steps]}


GREEN = thresholds((None, "green"))


def field_config(unit, *, min_=None, max_=None, decimals=None, steps=None, custom=None,
                 mappings=None, overrides=None, color=None):
    d = {"unit": unit, "thresholds": steps or GREEN,
         "color": color or {"mode": "palette-classic"}}
    if min_ is not None:
        d["min"] = min_
    if max_ is not None:
        d["max"] = max_
    if decimals is not None:
        d["decimals"] = decimals
    if custom is not None:
        d["custom"] = custom
    if mappings is not None:
        d["mappings"] = mappings
    return {"defaults": d, "overrides": overrides or []}


# how Grafana's legend names a calculation (its sortBy)
CALC_NAMES = {"mean": "Mean", "max": "Max", "min": "Min", "lastNotNull": "Last *", "last": "Last"}


def timeseries(title, targets, unit, *, w=8, h=8, desc="", stack=False, min_=0, max_=None,
               overrides=None, calcs=("mean", "max", "lastNotNull"), fill=10, bars=False):
    custom = {"drawStyle": "bars" if bars else "line", "lineWidth": 1,
              "fillOpacity": 80 if bars else (60 if stack else fill),
              "gradientMode": "none", "showPoints": "never", "spanNulls": False,
              "lineInterpolation": "linear", "axisPlacement": "auto", "axisLabel": "",
              "axisBorderShow": False, "axisCenteredZero": False, "axisColorMode": "text",
              "barAlignment": 0, "pointSize": 4, "scaleDistribution": {"type": "linear"},
              "insertNulls": False, "hideFrom": {"legend": False, "tooltip": False, "viz": False},
              "thresholdsStyle": {"mode": "off"},
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    return {"type": "timeseries", "title": title, "description": desc, "w": w, "h": h,
            "targets": targets,
            "fieldConfig": field_config(unit, min_=min_, max_=max_, custom=custom,
                                        overrides=overrides,
                                        color={"mode": "palette-classic"}),
            "options": {"legend": {"displayMode": "table", "placement": "bottom",
                                   "showLegend": True, "calcs": list(calcs),
                                   "sortBy": CALC_NAMES[calcs[-1]],
                                   "sortDesc": True} if calcs else
                        {"displayMode": "list", "placement": "bottom", "showLegend": True,
                         "calcs": []},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


UP_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "DOWN", "color": "red", "index": 0},
    "1": {"text": "UP", "color": "green", "index": 1}}}]
UP_STEPS = thresholds((None, "red"), (1, "green"))


def stat(title, targets, unit, *, w=4, h=4, desc="", steps=None, mappings=None, graph=True,
         calc="lastNotNull", decimals=None, color_mode="value", text_mode="value_and_name"):
    return {"type": "stat", "title": title, "description": desc, "w": w, "h": h,
            "targets": targets,
            "fieldConfig": field_config(unit, steps=steps, mappings=mappings, decimals=decimals,
                                        color={"mode": "thresholds"}),
            "options": {"reduceOptions": {"calcs": [calc], "fields": "", "values": False},
                        "colorMode": color_mode, "graphMode": "area" if graph else "none",
                        "justifyMode": "auto", "orientation": "auto", "textMode": text_mode,
                        "wideLayout": True, "showPercentChange": False}}


def gauge(title, targets, unit, *, w=6, h=8, desc="", steps=None, min_=0, max_=1):
    return {"type": "gauge", "title": title, "description": desc, "w": w, "h": h,
            "targets": targets,
            "fieldConfig": field_config(unit, min_=min_, max_=max_, steps=steps,
                                        color={"mode": "thresholds"}),
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "showThresholdLabels": False, "showThresholdMarkers": True,
                        "orientation": "auto", "minVizWidth": 75, "minVizHeight": 75,
                        "sizing": "auto"}}


def table(title, targets, *, w=24, h=10, desc="", columns=(), hide=(), sort=None, units=None,
          widths=None, unit="none", mappings=None):
    """columns: (field as it comes, display name) in order; units: {display name: unit};
    mappings: {display name: value mappings} (shown as coloured text)"""
    rename = {src: dst for src, dst in columns}
    index = {src: i for i, (src, _) in enumerate(columns)}
    exclude = {name: True for name in ("Time", "job", "instance", "__name__") + tuple(hide)}
    overrides = []
    for name, u in (units or {}).items():
        overrides.append({"matcher": {"id": "byName", "options": name},
                          "properties": [{"id": "unit", "value": u}]})
    for name, m in (mappings or {}).items():
        overrides.append({"matcher": {"id": "byName", "options": name},
                          "properties": [{"id": "mappings", "value": m},
                                         {"id": "custom.cellOptions",
                                          "value": {"type": "color-text"}}]})
    for name, width in (widths or {}).items():
        overrides.append({"matcher": {"id": "byName", "options": name},
                          "properties": [{"id": "custom.width", "value": width}]})
    custom = {"align": "auto", "cellOptions": {"type": "auto"}, "inspect": True,
              "filterable": True}
    return {"type": "table", "title": title, "description": desc, "w": w, "h": h,
            "targets": targets,
            "fieldConfig": field_config(unit, custom=custom, overrides=overrides,
                                        color={"mode": "thresholds"}),
            "transformations": [
                {"id": "merge", "options": {}},
                {"id": "organize", "options": {"excludeByName": exclude, "indexByName": index,
                                               "renameByName": rename}}],
            "options": {"showHeader": True, "cellHeight": "sm",
                        "footer": {"show": False, "reducer": ["sum"], "countRows": False,
                                   "fields": ""},
                        "sortBy": [{"displayName": sort, "desc": True}] if sort else []}}


def row(title, *panels):
    return (title, list(panels))


# ---- layout ---------------------------------------------------------------------------------

def layout(rows):
    """Rows of panels into Grafana's panel list: a row header, then the
    row's panels left to right, wrapping at 24 columns (a line is as high
    as its highest panel)."""
    out, pid, y = [], 1, 0
    for title, panels in rows:
        out.append({"type": "row", "title": title, "id": pid, "collapsed": False, "panels": [],
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
        pid += 1
        y += 1
        x, line_h = 0, 0
        for p in panels:
            w, h = p.pop("w"), p.pop("h")
            if x + w > 24:
                y, x, line_h = y + line_h, 0, 0
            p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
            p["id"] = pid
            p["datasource"] = DS
            for i, t in enumerate(p["targets"]):
                t["refId"] = chr(ord("A") + i)
            pid += 1
            x += w
            line_h = max(line_h, h)
            out.append(p)
        y += line_h
    return out


def query_var(name, label, query, desc, *, multi=True, include_all=True):
    return {"name": name, "label": label, "description": desc, "type": "query",
            "datasource": DS, "definition": query,
            "query": {"qryType": 1, "query": query,
                      "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "regex": "", "sort": 1, "hide": 0, "skipUrlSync": False,
            "includeAll": include_all, "multi": multi, "allValue": ".*" if include_all else None,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]} if include_all
            else {}, "options": []}


def custom_var(name, label, values, default, desc):
    return {"name": name, "label": label, "description": desc, "type": "custom",
            "query": ",".join(values), "hide": 0, "skipUrlSync": False, "multi": False,
            "includeAll": False,
            "current": {"selected": True, "text": default, "value": default},
            "options": [{"selected": v == default, "text": v, "value": v} for v in values]}


def common_vars():
    return [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "description": "The Prometheus that scrapes the dbpulse agents",
         "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [],
         "refresh": 1, "regex": "", "skipUrlSync": False},
        query_var("job", "job", "label_values(dbpulse_build_info, job)",
                  "Prometheus jobs that scrape dbpulse"),
        query_var("instance", "instance",
                  'label_values(dbpulse_build_info{job=~"$job"}, instance)',
                  "dbpulse agents (one per monitored host)"),
    ]


def dashboard(uid, title, desc, variables, rows, annotations=(), links=()):
    builtin = {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
               "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
               "name": "Annotations & Alerts", "type": "dashboard"}
    return {"annotations": {"list": [builtin] + list(annotations)},
            "description": desc, "editable": True, "fiscalYearStartMonth": 0,
            "graphTooltip": 1, "id": None, "links": list(links), "liveNow": False,
            "panels": layout(rows), "refresh": "30s", "schemaVersion": SCHEMA_VERSION,
            "tags": ["dbpulse", "postgresql", "redis", "pgbouncer"],
            "templating": {"list": variables},
            "time": {"from": "now-3h", "to": "now"}, "timepicker": {}, "timezone": "",
            "title": title, "uid": uid, "version": 1, "weekStart": ""}


def link_to(title, uid):
    return {"title": title, "type": "link", "url": "/d/%s?${__url_time_range}&${job:queryparam}"
            "&${instance:queryparam}" % uid, "icon": "dashboard", "tooltip": "",
            "targetBlank": False, "includeVars": False, "keepTime": False, "asDropdown": False,
            "tags": []}


def series_override(name_regex, *props):
    return {"matcher": {"id": "byRegexp", "options": name_regex},
            "properties": list(props)}


LIMIT_LINE = (
    {"id": "custom.stacking", "value": {"mode": "none", "group": "A"}},
    {"id": "custom.fillOpacity", "value": 0},
    {"id": "custom.lineStyle", "value": {"dash": [10, 10], "fill": "dash"}},
    {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}})


