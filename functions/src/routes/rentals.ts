/**
 * The signed-in consumer's rentals, read through from the hub contract (runs in workerd). Nothing is
 * cached: the chain is the only record of who has paid for what.
 */
import {
  Cce4longError,
  DatasetPathSchema,
  ListRentalsResponseSchema,
  type Rental,
  RentalSchema,
} from "@cce4long/protocol";
import { Hono } from "hono";
import type { Hex } from "viem";
import { type HubReader, hubReader } from "../chain/hub-reader";
import { secondsToIso } from "../chain/to-json";
import type { AppEnv } from "../env";
import { requireClaims, requireRole } from "../middleware/auth";
import { pathParams } from "../middleware/validate";
import { defineOperation, honoPath } from "../openapi/operation";

const list = defineOperation({
  method: "get",
  path: "/v1/rentals",
  operationId: "listRentals",
  summary: "Every dataset the signed-in consumer has rented, with the rental's current state",
  tag: "rentals",
  roles: ["consumer"],
  responses: { 200: { description: "The consumer's rentals", schema: ListRentalsResponseSchema } },
  errors: ["CHAIN_UNREACHABLE"],
});

const read = defineOperation({
  method: "get",
  path: "/v1/rentals/{datasetId}",
  operationId: "getRental",
  summary: "The signed-in consumer's rental of one dataset",
  tag: "rentals",
  roles: ["consumer"],
  params: DatasetPathSchema,
  responses: { 200: { description: "The rental state", schema: RentalSchema } },
  errors: ["NOT_FOUND", "CHAIN_UNREACHABLE"],
});

export const rentalsOperations = [list, read];

async function rentalOf(hub: HubReader, datasetId: Hex, consumer: `0x${string}`): Promise<Rental> {
  const { active, expiresAt } = await hub.rental(datasetId, consumer);
  return {
    datasetId: datasetId.toLowerCase() as Hex,
    consumer,
    active,
    expiresAt: expiresAt === 0n ? null : secondsToIso(expiresAt),
  };
}

export const rentalsRoutes = new Hono<AppEnv>()
  .get(honoPath(list), requireRole(["consumer"]), async (c) => {
    const consumer = requireClaims(c).sub as `0x${string}`;
    const hub = hubReader(c.var.config);
    const datasetIds = await hub.rentedDatasets(consumer);
    return c.json({ rentals: await Promise.all(datasetIds.map((id) => rentalOf(hub, id, consumer))) });
  })
  .get(honoPath(read), requireRole(["consumer"]), pathParams(DatasetPathSchema), async (c) => {
    const consumer = requireClaims(c).sub as `0x${string}`;
    const { datasetId } = c.req.valid("param");
    const hub = hubReader(c.var.config);
    if ((await hub.dataset(datasetId)) === null) {
      throw new Cce4longError("NOT_FOUND", "No dataset with this id is registered");
    }
    return c.json(await rentalOf(hub, datasetId, consumer));
  });
