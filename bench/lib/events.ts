/** The ingest benchmarks' event batches: order events over many entities, realistic bodies. */
export function orderBatches(
  { batches = 64, size = 100, entities = 20_000, confirmedEvery = 3 } = {},
) {
  return Array.from({ length: batches }, () =>
    Array.from({ length: size }, (_, i) => ({
      type: i % confirmedEvery === 0 ? "order.confirmed" : "order.updated",
      entity: { type: "order", id: `o-${Math.floor(Math.random() * entities)}` },
      data: {
        total: Math.round(Math.random() * 100_000) / 100,
        currency: "EUR",
        lines: [{ sku: "sku-1", qty: 2 }],
        note: "x".repeat(80),
      },
      metadata: { source: "bench" },
    })));
}
