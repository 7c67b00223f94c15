/**
 * Writes config/vault.schema.json, the JSON Schema of vault config files, from the SDK's validator
 * (sdk/config.ts), so that editors check what the deploy task checks. A test fails if it is stale.
 *
 *   npm run gen:config-schema
 */
import { writeFileSync } from "fs";
import path from "path";
import { vaultConfigJsonSchema } from "../sdk/deploy/config";

export const SCHEMA_PATH = path.join(__dirname, "..", "config", "vault.schema.json");

export const schemaText = (): string => JSON.stringify(vaultConfigJsonSchema(), null, 2) + "\n";

if (require.main === module) {
  writeFileSync(SCHEMA_PATH, schemaText());
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_PATH)}`);
}
