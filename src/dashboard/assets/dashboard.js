// Orders dashboard: reads GET /api/orders/stats and draws the charts as inline SVG.
// Plain browser JavaScript with no dependencies, served by src/dashboard/router.ts.
(function () {
  'use strict';

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var root = document.getElementById('dashboard');
  var statsPath = root.getAttribute('data-stats-path');
  var defaults = {
    currency: root.getAttribute('data-default-currency'),
    timeZone: root.getAttribute('data-default-time-zone'),
  };

  var texts = {
    es: {
      title: 'Panel de pedidos',
      from: 'Desde',
      to: 'Hasta (excluido)',
      groupBy: 'Agrupar por',
      day: 'día',
      week: 'semana',
      month: 'mes',
      timeZone: 'Zona horaria',
      currency: 'Moneda',
      update: 'Actualizar',
      loading: 'Cargando…',
      failed: 'No se pudieron cargar las estadísticas',
      orders: 'Pedidos',
      grossSales: 'Ventas brutas',
      averageOrderValue: 'Valor medio del pedido',
      cancellationRate: 'Tasa de cancelación',
      salesPerPeriod: 'Ventas brutas por periodo',
      ordersPerPeriod: 'Pedidos por periodo',
      ordersByStatus: 'Pedidos por estado',
      paymentsByMethod: 'Pagos confirmados por método',
      stageDurations: 'Duración de las etapas (horas, p50 y p90)',
      stage: 'Etapa',
      count: 'Pedidos',
      invalid: 'No válidos',
      noData: 'Sin datos en este intervalo',
      hours: 'h',
      statuses: {
        pending: 'pendiente',
        awaiting_payment: 'esperando pago',
        confirmed: 'confirmado',
        preparing: 'en preparación',
        shipped: 'enviado',
        delivered: 'entregado',
        cancelled: 'cancelado',
      },
      stages: {
        createdToConfirmed: 'creado → confirmado',
        confirmedToShipped: 'confirmado → enviado',
        shippedToDelivered: 'enviado → entregado',
        createdToDelivered: 'creado → entregado',
      },
    },
    en: {
      title: 'Orders dashboard',
      from: 'From',
      to: 'To (exclusive)',
      groupBy: 'Group by',
      day: 'day',
      week: 'week',
      month: 'month',
      timeZone: 'Time zone',
      currency: 'Currency',
      update: 'Update',
      loading: 'Loading…',
      failed: 'Could not load the statistics',
      orders: 'Orders',
      grossSales: 'Gross sales',
      averageOrderValue: 'Average order value',
      cancellationRate: 'Cancellation rate',
      salesPerPeriod: 'Gross sales per period',
      ordersPerPeriod: 'Orders per period',
      ordersByStatus: 'Orders by status',
      paymentsByMethod: 'Confirmed payments by method',
      stageDurations: 'Stage durations (hours, p50 and p90)',
      stage: 'Stage',
      count: 'Orders',
      invalid: 'Invalid',
      noData: 'No data in this range',
      hours: 'h',
      statuses: {
        pending: 'pending',
        awaiting_payment: 'awaiting payment',
        confirmed: 'confirmed',
        preparing: 'preparing',
        shipped: 'shipped',
        delivered: 'delivered',
        cancelled: 'cancelled',
      },
      stages: {
        createdToConfirmed: 'created → confirmed',
        confirmedToShipped: 'confirmed → shipped',
        shippedToDelivered: 'shipped → delivered',
        createdToDelivered: 'created → delivered',
      },
    },
  };

  var stageNames = ['createdToConfirmed', 'confirmedToShipped', 'shippedToDelivered', 'createdToDelivered'];
  var state = readQuery();
  var lastStats = null;

  // ----- query string <-> form --------------------------------------------------------------

  function pad(number) {
    return number < 10 ? '0' + number : String(number);
  }

  function isoDate(date) {
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate());
  }

  function readQuery() {
    var params = new URLSearchParams(window.location.search);
    var today = new Date();
    var nextMonth = new Date(today.getFullYear(), today.getMonth() + 1, 1);
    var yearBefore = new Date(nextMonth.getFullYear() - 1, nextMonth.getMonth(), 1);
    var lang = params.get('lang');
    return {
      from: params.get('from') || isoDate(yearBefore),
      to: params.get('to') || isoDate(nextMonth),
      groupBy: params.get('groupBy') || 'month',
      timeZone: params.get('timeZone') || defaults.timeZone,
      currency: params.get('currency') || defaults.currency,
      lang: lang === 'en' ? 'en' : 'es',
    };
  }

  function writeQuery() {
    var params = new URLSearchParams(state);
    window.history.replaceState(null, '', window.location.pathname + '?' + params.toString());
  }

  function timeZones() {
    var zones = ['UTC', 'America/Sao_Paulo', 'America/Mexico_City', 'America/Bogota', 'America/Argentina/Buenos_Aires', 'Europe/Madrid', 'Europe/London', 'America/New_York'];
    if (typeof Intl.supportedValuesOf === 'function') zones = ['UTC'].concat(Intl.supportedValuesOf('timeZone'));
    var own = Intl.DateTimeFormat().resolvedOptions().timeZone;
    [own, state.timeZone].forEach(function (zone) {
      if (zone && zones.indexOf(zone) < 0) zones.push(zone);
    });
    return zones;
  }

  function fillForm() {
    var form = document.getElementById('filters');
    form.elements.from.value = state.from;
    form.elements.to.value = state.to;
    form.elements.groupBy.value = state.groupBy;
    form.elements.currency.value = state.currency;
    var select = form.elements.timeZone;
    if (select.options.length === 0) {
      timeZones().forEach(function (zone) {
        var option = document.createElement('option');
        option.value = zone;
        option.textContent = zone;
        select.appendChild(option);
      });
    }
    select.value = state.timeZone;
  }

  function readForm() {
    var form = document.getElementById('filters');
    state.from = form.elements.from.value;
    state.to = form.elements.to.value;
    state.groupBy = form.elements.groupBy.value;
    state.timeZone = form.elements.timeZone.value;
    state.currency = form.elements.currency.value.trim().toUpperCase();
  }

  // ----- texts and numbers ------------------------------------------------------------------

  function t() {
    return texts[state.lang];
  }

  function locale() {
    return state.lang === 'es' ? 'es-ES' : 'en-US';
  }

  function formatNumber(value, digits) {
    return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: true }).format(value);
  }

  function formatMoney(money) {
    if (!money) return '—';
    return formatNumber(Number(money.amount), 2) + ' ' + money.currency;
  }

  function applyTexts() {
    document.documentElement.lang = state.lang;
    document.title = t().title;
    Array.prototype.forEach.call(document.querySelectorAll('[data-text]'), function (element) {
      element.textContent = t()[element.getAttribute('data-text')];
    });
    Array.prototype.forEach.call(document.querySelectorAll('#filters select[name=groupBy] option'), function (option) {
      option.textContent = t()[option.value];
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-lang]'), function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-lang') === state.lang));
    });
  }

  // ----- SVG drawing ------------------------------------------------------------------------

  function svgElement(name, attributes, text) {
    var element = document.createElementNS(SVG_NS, name);
    Object.keys(attributes || {}).forEach(function (key) {
      element.setAttribute(key, attributes[key]);
    });
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function clear(svg) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
  }

  function noData(svg, width, height) {
    svg.appendChild(svgElement('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'empty' }, t().noData));
  }

  // Vertical bars (or a line with points) over the periods of the series.
  function periodChart(svg, points, valueOf, formatValue, kind) {
    var width = 800;
    var height = 280;
    var margin = { top: 16, right: 16, bottom: 48, left: 90 };
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    clear(svg);
    var values = points.map(valueOf);
    var max = Math.max.apply(null, values.concat([0]));
    if (points.length === 0 || max === 0) return noData(svg, width, height);

    var plotWidth = width - margin.left - margin.right;
    var plotHeight = height - margin.top - margin.bottom;
    var step = plotWidth / points.length;
    var y = function (value) {
      return margin.top + plotHeight - (value / max) * plotHeight;
    };

    [0, 0.5, 1].forEach(function (fraction) {
      var value = max * fraction;
      svg.appendChild(svgElement('line', { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value), class: 'grid' }));
      svg.appendChild(svgElement('text', { x: margin.left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'axis' }, formatValue(value)));
    });

    var labelEvery = Math.ceil(points.length / 12);
    var line = [];
    points.forEach(function (point, index) {
      var x = margin.left + index * step;
      var value = values[index];
      var title = svgElement('title', {}, point.period + ': ' + formatValue(value));
      if (kind === 'bar') {
        var bar = svgElement('rect', { x: x + step * 0.1, y: y(value), width: Math.max(step * 0.8, 1), height: margin.top + plotHeight - y(value), class: 'mark bar', 'data-value': value });
        bar.appendChild(title);
        svg.appendChild(bar);
      } else {
        line.push(x + step / 2 + ',' + y(value));
        var dot = svgElement('circle', { cx: x + step / 2, cy: y(value), r: 3, class: 'mark dot', 'data-value': value });
        dot.appendChild(title);
        svg.appendChild(dot);
      }
      if (index % labelEvery === 0) {
        svg.appendChild(svgElement('text', { x: x + step / 2, y: height - margin.bottom + 16, 'text-anchor': 'middle', class: 'axis' }, point.period));
      }
    });
    if (kind === 'line') svg.insertBefore(svgElement('polyline', { points: line.join(' '), class: 'line' }), svg.firstChild);
  }

  // Horizontal bars, one per item; `series` lists one or more values per item (e.g. p50 and p90).
  // `width` is the viewBox width: charts in half-width columns use a smaller one so their text stays legible.
  function horizontalChart(svg, items, series, formatValue, width) {
    var rowHeight = 18 * series.length + 14;
    var margin = width < 600 ? { top: 8, right: 100, bottom: 8, left: 120 } : { top: 8, right: 120, bottom: 8, left: 200 };
    var height = margin.top + margin.bottom + Math.max(items.length, 1) * rowHeight;
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    clear(svg);
    var max = 0;
    items.forEach(function (item) {
      series.forEach(function (serie) {
        var value = serie.valueOf(item);
        if (value !== null && value > max) max = value;
      });
    });
    if (items.length === 0 || max === 0) return noData(svg, width, Math.max(height, 60));

    var plotWidth = width - margin.left - margin.right;
    items.forEach(function (item, row) {
      var top = margin.top + row * rowHeight;
      svg.appendChild(svgElement('text', { x: margin.left - 8, y: top + rowHeight / 2 + 4, 'text-anchor': 'end', class: 'label' }, item.label));
      series.forEach(function (serie, index) {
        var value = serie.valueOf(item);
        if (value === null) return;
        var barTop = top + 6 + index * 18;
        var length = Math.max((value / max) * plotWidth, 1);
        var bar = svgElement('rect', { x: margin.left, y: barTop, width: length, height: 14, class: 'mark hbar ' + serie.className, 'data-value': value });
        bar.appendChild(svgElement('title', {}, item.label + ' ' + serie.name + ': ' + formatValue(value)));
        svg.appendChild(bar);
        svg.appendChild(svgElement('text', { x: margin.left + length + 6, y: barTop + 11, class: 'value' }, (serie.name ? serie.name + ' ' : '') + formatValue(value)));
      });
    });
  }

  // ----- rendering --------------------------------------------------------------------------

  function renderSummary(stats) {
    document.getElementById('orders').textContent = formatNumber(stats.orders, 0);
    document.getElementById('grossSales').textContent = formatMoney(stats.grossSales);
    document.getElementById('averageOrderValue').textContent = formatMoney(stats.averageOrderValue);
    document.getElementById('cancellationRate').textContent =
      stats.cancellationRate === null ? '—' : formatNumber(stats.cancellationRate * 100, 2) + ' %';
  }

  function renderStageTable(stats) {
    var body = document.querySelector('#stage-table tbody');
    body.innerHTML = '';
    stageNames.forEach(function (name) {
      var stage = stats.stageDurations[name];
      var row = document.createElement('tr');
      [t().stages[name], formatNumber(stage.count, 0), formatNumber(stage.invalid, 0),
        stage.p50Hours === null ? '—' : formatNumber(stage.p50Hours, 1),
        stage.p90Hours === null ? '—' : formatNumber(stage.p90Hours, 1)].forEach(function (text) {
        var cell = document.createElement('td');
        cell.textContent = text;
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }

  function render(stats) {
    renderSummary(stats);
    var money = function (value) {
      return formatNumber(value, 0) + ' ' + stats.currency;
    };
    var count = function (value) {
      return formatNumber(value, 0);
    };
    var hours = function (value) {
      return formatNumber(value, 1) + ' ' + t().hours;
    };
    periodChart(document.getElementById('chart-sales'), stats.series, function (point) { return Number(point.grossSales.amount); }, money, 'bar');
    periodChart(document.getElementById('chart-orders'), stats.series, function (point) { return point.orders; }, count, 'line');

    var statuses = Object.keys(stats.byStatus).sort(function (a, b) { return stats.byStatus[b] - stats.byStatus[a]; }).map(function (status) {
      return { label: t().statuses[status] || status, value: stats.byStatus[status] };
    });
    horizontalChart(document.getElementById('chart-status'), statuses, [{ name: '', className: 'status', valueOf: function (item) { return item.value; } }], count, 440);

    var methods = Object.keys(stats.paymentsByMethod).sort().map(function (method) {
      return { label: method, value: Number(stats.paymentsByMethod[method].amount) };
    });
    horizontalChart(document.getElementById('chart-payments'), methods, [{ name: '', className: 'payment', valueOf: function (item) { return item.value; } }], money, 440);

    var stages = stageNames.map(function (name) {
      return { label: t().stages[name], stage: stats.stageDurations[name] };
    });
    horizontalChart(document.getElementById('chart-stages'), stages, [
      { name: 'p50', className: 'p50', valueOf: function (item) { return item.stage.p50Hours; } },
      { name: 'p90', className: 'p90', valueOf: function (item) { return item.stage.p90Hours; } },
    ], hours, 800);
    renderStageTable(stats);
  }

  function showStatus(text, isError) {
    var status = document.getElementById('status');
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  function load() {
    writeQuery();
    showStatus(t().loading, false);
    root.setAttribute('aria-busy', 'true');
    var params = new URLSearchParams({ from: state.from, to: state.to, groupBy: state.groupBy, timeZone: state.timeZone, currency: state.currency });
    return fetch(statsPath + '?' + params.toString(), { headers: { Accept: 'application/json', 'Accept-Language': state.lang } })
      .then(function (response) {
        var isJson = (response.headers.get('Content-Type') || '').indexOf('json') >= 0;
        if (!isJson) throw new Error('HTTP ' + response.status);
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || body.title || 'HTTP ' + response.status);
          return body;
        });
      })
      .then(function (stats) {
        lastStats = stats;
        render(stats);
        showStatus('', false);
        root.setAttribute('data-loaded', 'true');
      })
      .catch(function (error) {
        showStatus(t().failed + ': ' + error.message, true);
        root.setAttribute('data-loaded', 'error');
      })
      .then(function () {
        root.setAttribute('aria-busy', 'false');
      });
  }

  document.getElementById('filters').addEventListener('submit', function (event) {
    event.preventDefault();
    readForm();
    load();
  });

  Array.prototype.forEach.call(document.querySelectorAll('[data-lang]'), function (button) {
    button.addEventListener('click', function () {
      state.lang = button.getAttribute('data-lang');
      applyTexts();
      writeQuery();
      if (lastStats) render(lastStats);
    });
  });

  fillForm();
  applyTexts();
  load();
})();
