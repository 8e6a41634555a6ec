package dev.tidemark.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.util.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Checked records: every flipped bit is found; records from before checks and readers from before checks still work. */
class CheckedRecordTest {
    private static final byte[] JSON = ("{\n  \"format\" : 4,\n  \"id\" : \"20261122T120000Z\",\n  \"time\" : "
            + "\"2026-11-22T12:00:00Z\",\n  \"binlogPosition\" : 1234\n}").getBytes(StandardCharsets.UTF_8);

    @Test
    void aSealedRecordOpensToItsJson() throws Exception {
        byte[] sealed = CheckedRecord.seal(JSON);
        byte[] body = CheckedRecord.open(sealed, "point");
        assertEquals(new String(JSON, StandardCharsets.UTF_8) + "\n", new String(body, StandardCharsets.UTF_8));
    }

    @Test
    void everySingleBitFlipAnywhereIsReportedAsDamageNamingTheRecord() {
        byte[] sealed = CheckedRecord.seal(JSON);
        int found = 0;
        for (int i = 0; i < sealed.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] b = sealed.clone();
                b[i] ^= (byte) (1 << bit);
                DamageException e = assertThrows(DamageException.class, () -> CheckedRecord.open(b, "restore point X"),
                        "byte " + i + " bit " + bit);
                assertTrue(e.getMessage().startsWith("restore point X is damaged"), e.getMessage());
                found++;
            }
        }
        assertEquals(sealed.length * 8, found);
    }

    @Test
    void aRecordWrittenBeforeChecksIsReadAsItIs() throws Exception {
        assertArrayEquals(JSON, CheckedRecord.open(JSON, "config"));
    }

    /** Why no format change was needed: a JSON reader stops after the value, so older tidemarks read it as before. */
    @Test
    void aReaderThatKnowsNothingOfChecksReadsASealedRecord() throws Exception {
        JsonNode n = Json.MAPPER.readTree(CheckedRecord.seal(JSON));
        assertEquals(1234, n.get("binlogPosition").asInt());
    }
}
