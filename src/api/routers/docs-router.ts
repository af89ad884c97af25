import { Router } from 'express';

/**
 * `/openapi.json` and `/docs`, a small viewer that renders the document in
 * the browser. Everything is served from here; nothing is fetched from the
 * internet, and the script is a separate file so the default
 * Content-Security-Policy (scripts from this origin only) allows it.
 */
export function docsRouter(document: object): Router {
  const router = Router();
  const json = JSON.stringify(document);

  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(json);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  router.get('/docs/viewer.js', (_req, res) => {
    res.type('application/javascript').send(viewerScript);
  });
  return router;
}

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>OrderSvc API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
  h1 { margin-bottom: 0.2rem; }
  details { border: 1px solid #ddd; border-radius: 6px; margin: 0.5rem 0; padding: 0.4rem 0.8rem; }
  summary { cursor: pointer; font-family: ui-monospace, monospace; }
  .method { display: inline-block; min-width: 4.5rem; font-weight: bold; text-transform: uppercase; }
  .get { color: #1565c0; } .post { color: #2e7d32; } .put { color: #ef6c00; } .delete { color: #c62828; }
  pre { background: #f6f8fa; padding: 0.6rem; overflow-x: auto; font-size: 0.85rem; }
  table { border-collapse: collapse; } td, th { border-bottom: 1px solid #eee; padding: 0.2rem 0.6rem; text-align: left; vertical-align: top; }
</style>
</head>
<body>
<h1 id="title">OrderSvc API</h1>
<p id="description"></p>
<p><a href="/openapi.json">openapi.json</a></p>
<div id="operations">Loading…</div>
<h2>Schemas</h2>
<div id="schemas"></div>
<script src="/docs/viewer.js"></script>
</body>
</html>`;

const viewerScript = `'use strict';
(async function render() {
  const doc = await (await fetch('/openapi.json')).json();
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => node.setAttribute(name, value));
    children.forEach((child) => node.append(child));
    return node;
  };
  const pre = (value) => el('pre', {}, JSON.stringify(value, null, 2));
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.getElementById('description').textContent = doc.info.description || '';
  const operations = document.getElementById('operations');
  operations.textContent = '';
  Object.entries(doc.paths).forEach(([path, item]) => {
    Object.entries(item).forEach(([method, op]) => {
      const body = el('div', {});
      if (op.parameters && op.parameters.length) {
        const rows = op.parameters.map((p) => el('tr', {}, el('td', {}, p.in), el('td', {}, p.name + (p.required ? ' *' : '')), el('td', {}, p.description || '')));
        body.append(el('h4', {}, 'Parameters'), el('table', {}, ...rows));
      }
      if (op.requestBody) body.append(el('h4', {}, 'Request body'), pre(op.requestBody.content));
      body.append(el('h4', {}, 'Responses'));
      Object.entries(op.responses).forEach(([status, response]) => {
        body.append(el('p', {}, el('strong', {}, status + ' '), response.description || ''));
      });
      operations.append(el('details', {}, el('summary', {}, el('span', { class: 'method ' + method }, method), path + '  ', op.summary || ''), body));
    });
  });
  const schemas = document.getElementById('schemas');
  Object.entries((doc.components && doc.components.schemas) || {}).forEach(([name, schema]) => {
    schemas.append(el('details', {}, el('summary', {}, name), pre(schema)));
  });
})().catch((error) => {
  document.getElementById('operations').textContent = 'Could not load /openapi.json: ' + error.message;
});
`;
