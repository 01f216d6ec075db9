package org.copyoffload.server.scsi;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.copyoffload.backends.state.AtomicStateFile;
import org.copyoffload.backends.state.StateFileException;
import org.copyoffload.protocol.scsi.PersistentReservationType;
import org.copyoffload.server.scsi.ReservationState.Reservation;

/**
 * A logical unit's persistent reservation state in its crash-safe state file ({@link AtomicStateFile}, kind
 * {@code SCSI-PR}). The payload, big-endian: PRgeneration (int), the registration count (int), per registration the
 * initiator name (modified UTF-8), ISID (long), target name, portal group tag (int), relative target port identifier
 * (int) and reservation key (long); then the reservation type code (byte, 0 for none) and its holder as an index
 * into the registrations (int, -1 for all registrants). The file exists only while APTPL is set, so its presence
 * means APTPL.
 */
final class ReservationFile {
    static final String KIND = "SCSI-PR";
    static final int VERSION = 1;

    private final AtomicStateFile file;
    private final String targetName;

    ReservationFile(Path path, String targetName) {
        this.file = new AtomicStateFile(path, KIND, VERSION);
        this.targetName = targetName;
    }

    Path path() {
        return file.file();
    }

    /**
     * The saved state, if there is a file.
     *
     * @throws StateFileException naming the file for a file that is corrupt or describes another target
     */
    Optional<ReservationState> load() throws IOException {
        Optional<byte[]> payload = file.read();
        if (payload.isEmpty()) {
            return Optional.empty();
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload.get()))) {
            int generation = in.readInt();
            int count = in.readInt();
            if (count < 0 || count > PersistentReservations.MAX_REGISTRATIONS) {
                throw new StateFileException(path(), count + " registrations");
            }
            Map<ItNexus, Long> regs = new LinkedHashMap<>();
            ItNexus[] order = new ItNexus[count];
            for (int i = 0; i < count; i++) {
                ItNexus n = new ItNexus(in.readUTF(), in.readLong(), in.readUTF(), in.readInt(), in.readInt());
                long key = in.readLong();
                if (!n.targetName().equals(targetName)) {
                    throw new StateFileException(path(), "registration " + i + " is for target " + n.targetName()
                            + ", not " + targetName);
                }
                if (n.initiatorName().isEmpty() || key == 0 || regs.put(n, key) != null) {
                    throw new StateFileException(path(), "registration " + i + " (" + n.initiatorPortName()
                            + ", key " + key + ") is empty or repeated");
                }
                order[i] = n;
            }
            int typeCode = in.readUnsignedByte();
            int holder = in.readInt();
            if (in.available() != 0) {
                throw new StateFileException(path(), in.available() + " bytes after the reservation");
            }
            Reservation reservation = null;
            if (typeCode != 0) {
                PersistentReservationType type = PersistentReservationType.lookup(typeCode).orElseThrow(
                        () -> new StateFileException(path(), "reservation type " + typeCode));
                if (type.allRegistrants() ? holder != -1 : holder < 0 || holder >= count) {
                    throw new StateFileException(path(), "holder " + holder + " for a " + type + " reservation");
                }
                reservation = new Reservation(holder < 0 ? null : order[holder], type);
            }
            return Optional.of(new ReservationState(generation, regs, reservation, true));
        } catch (StateFileException e) {
            throw e;
        } catch (IOException | IllegalArgumentException e) {
            throw new StateFileException(path(), "unreadable reservation state: " + e);
        }
    }

    /** Writes {@code state} durably. */
    void save(ReservationState state) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(state.generation());
            out.writeInt(state.registrations().size());
            int holder = -1;
            int i = 0;
            for (Map.Entry<ItNexus, Long> e : state.registrations().entrySet()) {
                ItNexus n = e.getKey();
                out.writeUTF(n.initiatorName());
                out.writeLong(n.isid());
                out.writeUTF(n.targetName());
                out.writeInt(n.targetPortalGroupTag());
                out.writeInt(n.relativeTargetPortId());
                out.writeLong(e.getValue());
                if (state.reservation() != null && n.equals(state.reservation().holder())) {
                    holder = i;
                }
                i++;
            }
            out.writeByte(state.reservation() == null ? 0 : state.reservation().type().code());
            out.writeInt(holder);
        }
        file.write(bytes.toByteArray());
    }

    /** APTPL went off: nothing persists any more. */
    void delete() throws IOException {
        file.delete();
    }
}
