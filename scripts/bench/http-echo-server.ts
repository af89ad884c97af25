/**
 * The floor of the `http` benchmark: an express app whose one route parses
 * the JSON body of an add-item command and echoes it back. Started as its
 * own process by http.bench.ts, listening on PORT of 127.0.0.1.
 */
import express from 'express';

const app = express();
app.use(express.json({ limit: '100kb' }));
app.post('/api/orders/:id/items', (req, res) => {
  res.status(201).json(req.body);
});
app.get('/health/live', (_req, res) => {
  res.json({ status: 'up' });
});
app.listen(Number(process.env.PORT), '127.0.0.1');
