#!/usr/bin/env node
// A fake server that forges. It knows the real server id and secret
// (FORGE_SERVER_ID, FORGE_SERVER_SECRET as "hex:..."), so everything it
// sends is right except what the tool name asks it to get wrong:
//   server_identity      a correctly signed ok response (the control)
//   bad_signature        a response with a wrong signature
//   wrong_request_id     a correctly signed response to another request
//   forged_error         a -32011 error whose data.response has a wrong signature
//   forged_notification  a correctly signed accepted response for job "job-1",
//                        then a job/status with a wrong signature, then a
//                        correctly signed done with result {"real": true}
//   failing_job          a correctly signed accepted response for job "job-2",
//                        then a correctly signed job/status error "boom"
//   shuffled_job         for job "job-3", correctly signed: seq 2 and seq 1
//                        before the accepted response, then seq 1 again, a
//                        done addressed to client "bob", a done naming another
//                        request_id, and the real seq 3 done
'use strict';
const { createHmac, randomUUID } = require('node:crypto');
const readline = require('node:readline');
const { canonicalize } = require('json-canonicalize');

const serverId = process.env.FORGE_SERVER_ID;
const key = Buffer.from(process.env.FORGE_SERVER_SECRET.replace(/^hex:/, ''), 'hex');
const sign = (unsigned) => ({ ...unsigned, signature: createHmac('sha256', key).update(canonicalize(unsigned)).digest('hex') });
const forge = (unsigned) => ({ ...unsigned, signature: 'ab'.repeat(32) });
const send = (message) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
const response = (requestId, fields) => ({
  v: 'mcp/0.1', request_id: requestId, ts_ms: Date.now(), ok: true, server_id: serverId, status: 'ok', result: {}, error: null, ...fields,
});
const jobStatus = (envelope, fields) => ({
  v: 'mcp/0.1', job_id: 'job-1', request_id: envelope.request_id, client_id: envelope.client_id, server_id: serverId, ts_ms: Date.now(), ...fields,
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  if (request.method !== 'call' || request.id === undefined) return;
  const envelope = request.params;
  const id = request.id;
  switch (envelope.tool) {
    case 'bad_signature':
      return send({ id, result: forge(response(envelope.request_id, { result: { forged: true } })) });
    case 'wrong_request_id':
      return send({ id, result: sign(response(randomUUID(), {})) });
    case 'forged_error':
      return send({
        id,
        error: { code: -32011, message: 'invalid arguments', data: { response: forge(response(envelope.request_id, { ok: false, status: 'error', result: null, error: 'x' })) } },
      });
    case 'forged_notification':
      send({ id, result: sign(response(envelope.request_id, { status: 'accepted', result: { job_id: 'job-1', poll_interval_ms: 60000 } })) });
      send({ method: 'job/status', params: forge(jobStatus(envelope, { seq: 1, status: 'done', result: { forged: true } })) });
      send({ method: 'job/status', params: sign(jobStatus(envelope, { seq: 1, status: 'done', result: { real: true } })) });
      return;
    case 'failing_job':
      send({ id, result: sign(response(envelope.request_id, { status: 'accepted', result: { job_id: 'job-2', poll_interval_ms: 60000 } })) });
      send({ method: 'job/status', params: sign({ ...jobStatus(envelope, { seq: 1, status: 'error', error: 'boom' }), job_id: 'job-2' }) });
      return;
    case 'shuffled_job': {
      const status = (fields) => ({ method: 'job/status', params: sign({ ...jobStatus(envelope, fields), job_id: 'job-3' }) });
      send(status({ seq: 2, status: 'running', progress: 0.5 }));
      send(status({ seq: 1, status: 'running', progress: 0 }));
      send({ id, result: sign(response(envelope.request_id, { status: 'accepted', result: { job_id: 'job-3', poll_interval_ms: 60000 } })) });
      send(status({ seq: 1, status: 'running', progress: 0 }));
      send(status({ seq: 3, status: 'done', result: { foreign: true }, client_id: 'bob' }));
      send(status({ seq: 3, status: 'done', result: { other: true }, request_id: randomUUID() }));
      send(status({ seq: 3, status: 'done', result: { shuffled: true } }));
      return;
    }
    default:
      return send({ id, result: sign(response(envelope.request_id, { result: { server_id: serverId } })) });
  }
});
