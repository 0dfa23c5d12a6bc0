/**
 * The HTML report's page script: reads the chart models (html-data.ts) from the page's JSON block
 * and draws them with uPlot (inlined before it). Kept deliberately thin — every number is computed
 * in TypeScript; this only sets up axes, colours for the light or dark scheme, the log-axis switch,
 * incident and phase markers, tooltips with exact values, resizing and printing. Plain ES2017 in a
 * string (the page has no build step); the real-browser test (test/integration/report-html.test.ts)
 * is what checks it.
 */
export const HTML_SCRIPT = String.raw`(function () {
  'use strict';
  var models = JSON.parse(document.getElementById('wsbench-data').textContent).charts;
  // Okabe–Ito-like hues that stay apart in both schemes (and for common colour blindness).
  var PALETTE = {
    light: ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a4fa3', '#4d4d4d'],
    dark: ['#56b4e9', '#ff8c42', '#2fd0a0', '#e08ecb', '#f0c23b', '#8fd0ff', '#b58cf0', '#c9c9c9']
  };
  var plots = [];
  var logScale = false;
  var printing = false;

  function scheme() {
    if (printing) return 'light';
    return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function colour(slot) {
    var p = PALETTE[scheme()];
    return p[slot % p.length];
  }
  function num(v, digits) {
    return v.toLocaleString('en-US', { maximumFractionDigits: digits });
  }
  function fmt(v, unit) {
    if (v == null) return '—';
    if (unit === 'ms') return num(v, 3) + ' ms';
    if (unit === '/s') return num(v, 1) + '/s';
    if (unit === '%') return num(v, 1) + ' %';
    return num(v, 3);
  }
  function percentileOf(x) {
    var p = 100 * (1 - 1 / x);
    var digits = x >= 10000 ? 4 : x >= 1000 ? 3 : x >= 100 ? 2 : 1;
    return num(Number(p.toFixed(digits)), digits) + '%';
  }
  function xText(model, x) {
    return model.xKind === 'seconds' ? num(x, 3) + ' s' : percentileOf(x);
  }

  function markerPlugin(model) {
    return {
      hooks: {
        draw: function (u) {
          if (!model.markers.length) return;
          var ctx = u.ctx;
          var dpr = window.devicePixelRatio || 1;
          var top = u.bbox.top;
          var bottom = u.bbox.top + u.bbox.height;
          var labelEnd = -Infinity;
          ctx.save();
          ctx.font = 10 * dpr + 'px system-ui, sans-serif';
          model.markers.forEach(function (m) {
            var x = Math.round(u.valToPos(m.x, 'x', true));
            if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) return;
            var incident = m.kind === 'incident';
            ctx.strokeStyle = ctx.fillStyle = cssVar(incident ? '--incident' : '--phase');
            ctx.lineWidth = (incident ? 2 : 1) * dpr;
            ctx.setLineDash(incident ? [] : [3 * dpr, 3 * dpr]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, bottom);
            ctx.stroke();
            var text = incident ? '\u26a0' : m.label;
            if (x > labelEnd) {
              ctx.fillText(text, x + 3 * dpr, top + 11 * dpr);
              labelEnd = x + 3 * dpr + ctx.measureText(text).width + 4 * dpr;
            }
          });
          ctx.restore();
        }
      }
    };
  }

  function tooltipPlugin(model, units) {
    var tip;
    return {
      hooks: {
        init: function (u) {
          tip = document.createElement('div');
          tip.className = 'tip';
          tip.hidden = true;
          u.over.appendChild(tip);
        },
        setCursor: function (u) {
          var i = u.cursor.idx;
          if (i == null || u.cursor.left < 0) {
            tip.hidden = true;
            return;
          }
          var rows = [];
          for (var s = 1; s < u.series.length; s++) {
            var v = u.data[s][i];
            if (!u.series[s].show || v == null) continue;
            rows.push([u.series[s].label, fmt(v, units[model.series[s - 1].axis])]);
          }
          var near = model.markers.filter(function (m) {
            return Math.abs(u.valToPos(m.x, 'x') - u.cursor.left) <= 4;
          });
          if (!rows.length && !near.length) {
            tip.hidden = true;
            return;
          }
          tip.replaceChildren();
          var head = document.createElement('div');
          var b = document.createElement('b');
          b.textContent = xText(model, u.data[0][i]);
          head.appendChild(b);
          tip.appendChild(head);
          rows.forEach(function (r) {
            var line = document.createElement('div');
            line.textContent = r[0] + ': ' + r[1];
            tip.appendChild(line);
          });
          near.forEach(function (m) {
            var line = document.createElement('div');
            line.textContent = (m.kind === 'incident' ? '\u26a0 ' : 'phase: ') + m.label;
            tip.appendChild(line);
          });
          tip.hidden = false;
          var width = u.over.clientWidth;
          var left = u.cursor.left + 14;
          if (left + tip.offsetWidth > width) left = Math.max(0, u.cursor.left - tip.offsetWidth - 14);
          tip.style.left = left + 'px';
          tip.style.top = Math.max(0, u.cursor.top - tip.offsetHeight - 8) + 'px';
        }
      }
    };
  }

  function percentileSplits(u, axis, min, max) {
    var out = [];
    for (var v = 1; v <= max * 1.0001; v *= 10) {
      if (v >= min * 0.9999) out.push(v);
    }
    return out;
  }

  function options(model, width) {
    var units = [model.units[0], model.units.length > 1 ? model.units[1] : model.units[0]];
    var log = logScale && model.logToggle;
    var axisColour = cssVar('--axis');
    var grid = { stroke: cssVar('--grid'), width: 1 };
    var ticks = { stroke: cssVar('--grid'), width: 1 };
    var yValues = function (unit) {
      return function (u, splits) {
        return splits.map(function (v) {
          return v == null ? '' : num(v, 3) + (unit === '%' ? '%' : '');
        });
      };
    };
    var zeroBased = function (u, min, max) {
      return [Math.min(0, min), max > 0 ? max * 1.08 : 1];
    };
    var scales = {
      // Percentiles: from 0% to the last point (the max), not rounded out to the next decade.
      x:
        model.xKind === 'percentile'
          ? {
              time: false,
              distr: 3,
              log: 10,
              range: function (u, min, max) {
                return [1, Math.max(max, 10)];
              }
            }
          : { time: false },
      y: log ? { distr: 3, log: 10 } : { range: zeroBased }
    };
    var axes = [
      {
        stroke: axisColour,
        grid: grid,
        ticks: ticks,
        label: model.xKind === 'seconds' ? 'seconds since the first publish' : 'percentile',
        values:
          model.xKind === 'percentile'
            ? function (u, splits) {
                return splits.map(percentileOf);
              }
            : undefined,
        splits: model.xKind === 'percentile' ? percentileSplits : undefined
      },
      { scale: 'y', stroke: axisColour, grid: grid, ticks: ticks, size: 64, label: units[0] || 'count', values: yValues(units[0]) }
    ];
    if (model.units.length > 1) {
      scales.y2 = { range: zeroBased };
      axes.push({ scale: 'y2', side: 1, stroke: axisColour, grid: { show: false }, ticks: ticks, size: 56, label: units[1], values: yValues(units[1]) });
    }
    var series = [
      {
        label: model.xKind === 'seconds' ? 'time' : 'percentile',
        value: function (u, v) {
          return v == null ? '—' : xText(model, v);
        }
      }
    ];
    model.series.forEach(function (s) {
      var unit = units[s.axis];
      series.push({
        label: s.label,
        stroke: colour(s.color),
        width: 1.75,
        dash: s.dash ? [6, 4] : undefined,
        scale: s.axis ? 'y2' : 'y',
        spanGaps: true,
        points: { show: model.xKind === 'percentile', size: 4 },
        value: function (u, v) {
          return fmt(v, unit);
        }
      });
    });
    return {
      width: width,
      height: 300,
      scales: scales,
      axes: axes,
      series: series,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      plugins: [markerPlugin(model), tooltipPlugin(model, units)]
    };
  }

  function dataFor(model) {
    var log = logScale && model.logToggle;
    return [model.x].concat(
      model.series.map(function (s) {
        return log
          ? s.values.map(function (v) {
              return v != null && v > 0 ? v : null;
            })
          : s.values;
      })
    );
  }

  function widthOf(el) {
    return Math.max(280, Math.floor(el.clientWidth));
  }

  function drawAll() {
    plots.forEach(function (p) {
      p.plot.destroy();
    });
    plots = [];
    models.forEach(function (model) {
      var el = document.querySelector('[data-chart="' + model.id + '"] .plot');
      if (!el) return;
      el.replaceChildren();
      plots.push({ el: el, plot: new uPlot(options(model, widthOf(el)), dataFor(model), el) });
    });
    // Tells whoever waits for the page (the browser test) that the charts are there.
    document.documentElement.setAttribute('data-charts-drawn', String(plots.length));
  }

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      plots.forEach(function (p) {
        p.plot.setSize({ width: widthOf(p.el), height: 300 });
      });
    }, 100);
  });
  if (window.matchMedia) {
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', drawAll);
  }
  // Print in the light scheme, at the paper's width.
  window.addEventListener('beforeprint', function () {
    printing = true;
    drawAll();
  });
  window.addEventListener('afterprint', function () {
    printing = false;
    drawAll();
  });
  var toggle = document.getElementById('log-scale');
  if (toggle) {
    toggle.addEventListener('change', function () {
      logScale = toggle.checked;
      drawAll();
    });
  }
  drawAll();
})();
`;
