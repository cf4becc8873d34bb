/**
 * Two shipments as three outside systems report them: the warehouse (WMS), the carrier and
 * customs. Each system posts its own events to `/api/events` with the id it already has for the
 * fact as `dedupKey`, so a post it retries is answered with the original.
 */
export type System = "warehouse" | "carrier" | "customs";

export interface Step {
  system: System;
  type: string;
  shipment: string;
  /** The sending system's own id for this fact. */
  ref: string;
  at: string;
  data: Record<string, unknown>;
}

const day = "2026-11-23";
const at = (hhmm: string) => `${day}T${hhmm}:00Z`;

export const steps: Step[] = [
  {
    system: "warehouse",
    type: "shipment.picked",
    shipment: "shp-1001",
    ref: "wms-pick-88121",
    at: at("07:05"),
    data: { site: "MAD-1", items: 3 },
  },
  {
    system: "warehouse",
    type: "shipment.packed",
    shipment: "shp-1001",
    ref: "wms-pack-88121",
    at: at("07:40"),
    data: { site: "MAD-1", parcels: 1, weightKg: 4.2 },
  },
  {
    system: "carrier",
    type: "shipment.picked_up",
    shipment: "shp-1001",
    ref: "trk-5521-01",
    at: at("09:10"),
    data: { carrier: "FastFreight", tracking: "FF5521" },
  },
  {
    system: "carrier",
    type: "shipment.in_transit",
    shipment: "shp-1001",
    ref: "trk-5521-02",
    at: at("12:30"),
    data: { hub: "ZAZ" },
  },
  {
    system: "customs",
    type: "shipment.customs_cleared",
    shipment: "shp-1001",
    ref: "dua-2026-771",
    at: at("15:45"),
    data: { office: "ES-ZAZ", declaration: "DUA-2026-771" },
  },
  {
    system: "carrier",
    type: "shipment.out_for_delivery",
    shipment: "shp-1001",
    ref: "trk-5521-03",
    at: at("18:05"),
    data: { van: "V-12" },
  },
  {
    system: "carrier",
    type: "shipment.delivered",
    shipment: "shp-1001",
    ref: "trk-5521-04",
    at: at("19:20"),
    data: { signedBy: "L. Moreno" },
  },
  {
    system: "warehouse",
    type: "shipment.picked",
    shipment: "shp-1002",
    ref: "wms-pick-88122",
    at: at("08:15"),
    data: { site: "MAD-1", items: 1 },
  },
  {
    system: "warehouse",
    type: "shipment.packed",
    shipment: "shp-1002",
    ref: "wms-pack-88122",
    at: at("08:30"),
    data: { site: "MAD-1", parcels: 1, weightKg: 0.8 },
  },
  {
    system: "carrier",
    type: "shipment.picked_up",
    shipment: "shp-1002",
    ref: "trk-5522-01",
    at: at("09:10"),
    data: { carrier: "FastFreight", tracking: "FF5522" },
  },
  {
    system: "customs",
    type: "shipment.customs_held",
    shipment: "shp-1002",
    ref: "dua-2026-772",
    at: at("14:00"),
    data: { office: "ES-ZAZ", reason: "invoice missing" },
  },
];

/** What a system sends for one step: the public event shape from docs/CONTRACT.md. */
export function toEvent(step: Step) {
  return {
    type: step.type,
    entity: { type: "shipment", id: step.shipment },
    timestamp: step.at,
    dedupKey: `${step.system}:${step.ref}`,
    data: step.data,
    metadata: { source: step.system },
  };
}

/** Posts the steps in order, each system's consecutive steps as one batch; the accepted entries in step order. */
export async function postSteps(base: string, key: string, list: Step[] = steps) {
  const accepted: { id: string; version: number; duplicate: boolean }[] = [];
  for (let i = 0; i < list.length;) {
    let j = i + 1;
    while (j < list.length && list[j].system === list[i].system) j++;
    const res = await fetch(`${base}/api/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(list.slice(i, j).map(toEvent)),
    });
    if (res.status !== 202) {
      throw new Error(`${list[i].system} posting: ${res.status} ${await res.text()}`);
    }
    accepted.push(...(await res.json() as { accepted: typeof accepted }).accepted);
    i = j;
  }
  return accepted;
}
