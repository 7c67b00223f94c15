/**
 * The vault's Hardhat tasks (`npx hardhat help` lists them; `npx hardhat help <task>` describes one).
 * Each is a thin layer over the SDK: it checks its input, calls the SDK and prints a table or JSON.
 */
import "./deploy";
import "./status";
import "./operator";
import "./approve";
import "./guardian";
import "./propose";
import "./watch";
import "./guard";
import "./hsm";
import "./monitor";
import "./deposit";
import "./dev";
