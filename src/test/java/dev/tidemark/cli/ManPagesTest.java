package dev.tidemark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Every command and subcommand gets a man page (picocli's generator, the one the build runs into target/man), and
 * no help text trips its formatter: a bare '%' in a description (it must be '%%') broke the generator and printed
 * raw '%n' in --help.
 */
class ManPagesTest {
    @Test
    void everyCommandHasAManPageWithItsExamples() throws Exception {
        List<CommandLine> all = new ArrayList<>();
        collect(Main.commandLine(), all);
        java.io.PrintStream savedErr = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(warnings, true));
        try {
            for (CommandLine c : all) {
                StringWriter page = new StringWriter();
                try (PrintWriter w = new PrintWriter(page)) {
                    ManPageGenerator.writeSingleManPage(w, c.getCommandSpec());
                }
                String name = c.getCommandSpec().qualifiedName("-");
                assertTrue(page.toString().contains("= " + name + "(1)"), name + ":\n" + page);
                assertTrue(page.toString().contains("== Synopsis"), name);
            }
        } finally {
            System.setErr(savedErr);
        }
        assertEquals("", warnings.toString(), "help texts the formatter could not take");
        assertTrue(all.size() >= 28, "the whole tree: " + all.size());
    }

    private static void collect(CommandLine c, List<CommandLine> out) {
        out.add(c);
        for (CommandLine sub : c.getSubcommands().values()) {
            if (!out.contains(sub)) {
                collect(sub, out);
            }
        }
    }
}
