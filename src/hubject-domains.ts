// Where the domains meet the config contract: the kit (src/node-red/hubject.ts) declares HubjectConfig with empty
// LaneItems and HubjectDomains, and this declaration merge fills them in. Types only; nothing here runs.
import type { EvseStatusRecord } from './oicp/schemas';
import type { DataItem } from './evse-data/lane';
import type { StatusGate } from './status/gate';
import type { OperatorEvseData } from './evse-data/operator';
import type { SessionStore } from './sessions/store';
import type { CdrItem, CdrMarks } from './sessions/cdr-lane';

declare module './node-red/hubject' {
  interface LaneItems {
    status: EvseStatusRecord;
    data: DataItem;
    chargeDetailRecord: CdrItem;
  }

  interface HubjectDomains {
    /** Holds statuses for EVSEs whose data Hubject has not acknowledged; data nodes register with it. Null when configError is set. */
    readonly gate: StatusGate | null;
    /** The operator's EVSE data store and its planning, shared by every data node on this config; null when configError or dataConfigError is set. */
    evseData(): OperatorEvseData | null;
    /** The operator's roaming session store (<userDir>/oicp/sessions/...), opened when first asked; null when configError is set. */
    sessions(): SessionStore | null;
    /** The CDR lane's exactly-once marks per SessionID (opens the CDR lane); null when configError is set. */
    cdrMarks(): CdrMarks | null;
  }
}
