package org.copyoffload.server.scsi;

import org.copyoffload.protocol.scsi.PersistentReservationType;
import org.copyoffload.protocol.scsi.PersistentReserveInCdb;
import org.copyoffload.protocol.scsi.PersistentReserveInData;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb.ServiceAction;
import org.copyoffload.protocol.scsi.PersistentReserveOutParameters;

/** PERSISTENT RESERVE IN / OUT as a host sends them (sg_persist's 24-byte lists), for the reservation tests. */
abstract class ReservationTestSupport extends ScsiTestBase {
    static final ItNexus C = new ItNexus("iqn.2026-01.org.example:host-c", 0x23D000000003L, TARGET, 1, 1);

    ScsiTestBase.Result prOut(ItNexus nexus, long lun, ServiceAction sa, PersistentReservationType type, long key,
                              long saKey, boolean aptpl) {
        byte[] list = PersistentReserveOutParameters.of(key, saKey, aptpl).encode();
        return write(nexus, lun, new PersistentReserveOutCdb(sa, type, list.length).encode(), list);
    }

    ScsiTestBase.Result prOut(ItNexus nexus, ServiceAction sa, PersistentReservationType type, long key, long saKey) {
        return prOut(nexus, LUN_4K, sa, type, key, saKey, false);
    }

    ScsiTestBase.Result register(ItNexus nexus, long key) {
        return prOut(nexus, ServiceAction.REGISTER_AND_IGNORE_EXISTING_KEY, null, 0, key);
    }

    ScsiTestBase.Result reserve(ItNexus nexus, long key, PersistentReservationType type) {
        return prOut(nexus, ServiceAction.RESERVE, type, key, 0);
    }

    byte[] prIn(ItNexus nexus, long lun, PersistentReserveInCdb.ServiceAction sa) {
        return run(nexus, lun, new PersistentReserveInCdb(sa, 0xFFFF).encode()).good().data();
    }

    PersistentReserveInData.ReadKeys readKeys(ItNexus nexus) {
        return PersistentReserveInData.ReadKeys.decode(prIn(nexus, LUN_4K, PersistentReserveInCdb.ServiceAction.READ_KEYS));
    }

    PersistentReserveInData.ReadReservation readReservation(ItNexus nexus) {
        return PersistentReserveInData.ReadReservation.decode(prIn(nexus, LUN_4K,
                PersistentReserveInCdb.ServiceAction.READ_RESERVATION));
    }
}
