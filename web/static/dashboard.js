// The dashboard's charts, drawn from the figures the page carries, and its
// "right now" panels, fetched again every few seconds. Text from the server
// is only ever set as textContent.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";

  var SERIES_COLOURS = ["#2456c7", "#1d7a3e", "#b42318", "#8a5a00", "#6941c6", "#0e7490", "#667085", "#c11574",
    "#e04f16"];
  // Past the colours, a series is told from the one of its colour by dashes.
  var SERIES_DASHES = [[], [6, 4], [2, 3]];

  var drawn = [];
  // Hours along the bottom written flat, as many as fit; small legend keys,
  // so that the plot keeps its height beside many series.
  function hours() { return { ticks: { maxRotation: 0, autoSkipPadding: 16 } }; }
  function legend() { return { labels: { boxWidth: 12, font: { size: 11 } } }; }

  // The charts' text and grid in the page's muted ink and line colours, so
  // that they read in dark mode too; drawn again when the theme changes.
  function themeColours() {
    var probe = document.createElement("span");
    probe.style.cssText = "color: var(--muted); border: 1px solid var(--line); position: absolute;";
    document.body.appendChild(probe);
    var style = getComputedStyle(probe);
    window.Chart.defaults.color = style.color;
    window.Chart.defaults.borderColor = style.borderTopColor;
    probe.remove();
  }

  function redrawCharts() {
    drawn.forEach(function (chart) { chart.destroy(); });
    drawn = [];
    drawCharts();
  }

  function drawCharts() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    themeColours();
    var charts = JSON.parse(source.textContent);
    var within = document.getElementById("within-target-chart");
    if (within) {
      drawn.push(new window.Chart(within, {
        type: "bar",
        data: {
          labels: charts.within_target.labels,
          // A group that met none of its targets shows a sliver at 0 %; a
          // group with none due (null) shows nothing.
          datasets: [{ label: "Achievement (%)", data: charts.within_target.values, backgroundColor: "#2456c7",
                       minBarLength: 3 }]
        },
        options: {
          animation: false,
          scales: { y: { min: 0, max: 100, title: { display: true, text: "% of targets met" } } },
          plugins: { legend: { display: false } }
        }
      }));
    }
    var volume = document.getElementById("volume-chart");
    if (volume) {
      drawn.push(new window.Chart(volume, {
        type: "bar",
        data: {
          labels: charts.volume.labels,
          datasets: charts.volume.datasets.map(function (set, i) {
            return { label: set.label, data: set.data, backgroundColor: SERIES_COLOURS[i % SERIES_COLOURS.length] };
          })
        },
        options: {
          animation: false,
          scales: {
            x: Object.assign({ stacked: true }, hours()),
            y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "tickets raised" } }
          },
          plugins: { legend: legend() }
        }
      }));
    }
    var trends = document.getElementById("trends-chart");
    if (trends) {
      drawn.push(new window.Chart(trends, {
        type: "line",
        data: {
          labels: charts.negative_by_topic.labels,
          datasets: charts.negative_by_topic.datasets.map(function (set, i) {
            var colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
            var dashes = SERIES_DASHES[Math.floor(i / SERIES_COLOURS.length) % SERIES_DASHES.length];
            return { label: set.label, data: set.data, borderColor: colour, backgroundColor: colour, borderDash: dashes };
          })
        },
        options: {
          animation: false,
          // Taller than the others: its key of topics takes rows of its own.
          aspectRatio: 1.4,
          scales: {
            x: hours(),
            y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "negative mentions" } }
          },
          plugins: { legend: legend() }
        }
      }));
    }
  }

  // The same wording as web.formatting.duration_text.
  function durationText(minutes) {
    minutes = Math.floor(Math.abs(minutes));
    if (minutes < 1) { return "<1 min"; }
    if (minutes < 60) { return minutes + " min"; }
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 48) { return minutes ? hours + " h " + minutes + " min" : hours + " h"; }
    var days = Math.floor(hours / 24);
    hours = hours % 24;
    return hours ? days + " d " + hours + " h" : days + " d";
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) {
      var span = document.createElement("span");
      span.className = className;
      span.textContent = text;
      td.appendChild(span);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
    return td;
  }

  function atRiskRow(item) {
    var row = document.createElement("tr");
    var link = document.createElement("a");
    link.href = item.url;
    link.textContent = "#" + item.ticket_id;
    cell(row, "").appendChild(link);
    cell(row, item.customer);
    var platforms = JSON.parse(document.getElementById("at-risk-rows").dataset.platforms || "{}");
    cell(row, platforms[item.platform] || item.platform);
    cell(row, item.priority, "priority " + item.priority);
    cell(row, item.target.replace("_", " "));
    cell(row, item.assignee || "unassigned");
    if (item.state === "breached") {
      cell(row, durationText(item.minutes_over) + " over", "due overdue");
    } else {
      cell(row, durationText(item.minutes_left) + " left", "due soon");
    }
    return row;
  }

  function linkCell(row, href, text, className) {
    var td = cell(row, "");
    if (className) { td.className = className; }
    var link = document.createElement("a");
    link.href = href;
    link.textContent = text;
    td.appendChild(link);
    return td;
  }

  function stripRow(team) {
    var row = document.createElement("tr");
    var name = document.createElement("th");
    name.scope = "row";
    name.textContent = team.team;
    row.appendChild(name);
    linkCell(row, team.links.open, String(team.open), "number");
    linkCell(row, team.links.breaching, String(team.breaching), team.breaching ? "number alarm" : "number");
    linkCell(row, team.links.at_risk, String(team.at_risk), team.at_risk ? "number warn" : "number");
    if (team.oldest) {
      var td = linkCell(row, team.oldest.url, "#" + team.oldest.ticket_id);
      td.appendChild(document.createTextNode(", " + durationText(team.oldest.waiting_min)));
    } else {
      cell(row, "—");
    }
    return row;
  }

  function loadRow(agent) {
    var row = document.createElement("tr");
    if (agent.over_capacity) { row.className = "over"; }
    cell(row, agent.name);
    cell(row, agent.team);
    cell(row, agent.presence, "presence " + agent.presence);
    var td = cell(row, "");
    var meter = document.createElement("meter");
    meter.min = 0;
    meter.max = Math.max(agent.capacity, agent.open, 1);
    meter.high = agent.capacity;
    meter.value = agent.open;
    td.appendChild(meter);
    td.appendChild(document.createTextNode(" " + agent.open + " / " + agent.capacity + " "));
    if (agent.over_capacity) {
      var flag = document.createElement("strong");
      flag.textContent = "over capacity";
      td.appendChild(flag);
    }
    return row;
  }

  function fill(bodyId, emptyId, items, makeRow) {
    var body = document.getElementById(bodyId);
    body.replaceChildren.apply(body, items.map(makeRow));
    document.getElementById(emptyId).hidden = items.length > 0;
    body.parentElement.hidden = items.length === 0;
  }

  function refresh(panel) {
    var note = document.getElementById("now-note");
    if (document.hidden) { return; }
    fetch(panel.dataset.refreshUrl, { credentials: "same-origin", headers: { "Accept": "application/json", "X-Background": "1" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status === 401 ? "sign in again to refresh" : "could not refresh"); }
        return response.json();
      })
      .then(function (figures) {
        fill("strip-rows", "strip-empty", figures.teams, stripRow);
        fill("at-risk-rows", "at-risk-empty", figures.at_risk_and_breached, atRiskRow);
        document.getElementById("at-risk-count").textContent = figures.at_risk_and_breached_total.toLocaleString("en-GB") +
          (figures.at_risk_and_breached_total_exact ? "" : "+");
        document.getElementById("at-risk-shown").hidden =
          figures.at_risk_and_breached.length >= figures.at_risk_and_breached_total;
        fill("load-rows", "load-empty", figures.agent_load, loadRow);
        document.getElementById("now-at").textContent = zonedClock(new Date(figures.at), panel.dataset.timezone);
        note.textContent = "";
      })
      .catch(function (error) {
        note.textContent = "(" + (error.message || "could not refresh") + ")";
      });
  }

  // "14:05:09 UTC+1", as the server shows a time (web/formatting.py zone_label).
  function zonedClock(moment, zone) {
    var parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "shortOffset"
    }).formatToParts(moment);
    function part(type) { return parts.find(function (p) { return p.type === type; }).value; }
    var offset = part("timeZoneName").replace(/^GMT(\+0)?$/, "UTC").replace(/^GMT/, "UTC");
    return part("hour") + ":" + part("minute") + ":" + part("second") + "\u00a0" + offset;
  }

  drawCharts();
  var themeSwitch = document.getElementById("theme-switch");
  if (themeSwitch) { themeSwitch.addEventListener("click", redrawCharts); }
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redrawCharts);
  var panel = document.getElementById("now");
  if (panel) {
    window.setInterval(function () { refresh(panel); }, Number(panel.dataset.refreshSeconds) * 1000);
  }
});
