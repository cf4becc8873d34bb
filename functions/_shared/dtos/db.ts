/** The DTO queries run on the pool or inside a transaction alike. */
import type postgres from "postgres";
import type { Sql } from "../db.ts";

export type Db = Sql | postgres.TransactionSql;
