/**
 * The signed-in consumer's rentals as the edge API reports them, read through from the hub
 * contract (runs anywhere).
 */
import { z } from "zod";
import { AddressSchema, DatasetIdSchema, TimestampSchema } from "./common";

export const RentalSchema = z.object({
  datasetId: DatasetIdSchema,
  consumer: AddressSchema,
  active: z.boolean(),
  expiresAt: TimestampSchema.nullable().meta({
    description: "When the rental ends or ended; null if never rented",
  }),
});
export type Rental = z.infer<typeof RentalSchema>;

export const ListRentalsResponseSchema = z.object({ rentals: z.array(RentalSchema) });
export type ListRentalsResponse = z.infer<typeof ListRentalsResponseSchema>;
