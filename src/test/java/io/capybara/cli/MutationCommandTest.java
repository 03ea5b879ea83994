package io.capybara.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capybara mutation}: its argument errors, and how it counts PIT's verdicts (without running PIT). */
class MutationCommandTest {
    @Test
    void unknownPackagesAndClassesAreOneLineErrors() {
        CliErrorsTest.fails(2, "capybara mutation: no package io.capybara.nope", "mutation", "--packages", "nope");
        CliErrorsTest.fails(2, "capybara mutation: no class Nope in io.capybara.tcp", "mutation", "--packages", "tcp",
                "--classes", "Nope");
        CliErrorsTest.fails(2, "capybara mutation: no class lossRecovery in io.capybara.tcp", "mutation", "--packages",
                "tcp", "--classes", "lossRecovery");
        CliErrorsTest.fails(2, "capybara mutation: --classes needs exactly one package", "mutation", "--packages",
                "tcp,tor", "--classes", "LossRecovery");
        CliErrorsTest.fails(2, "capybara mutation: --threads must be 1..64", "mutation", "--threads", "0");
    }

    @Test
    void aPerClassRunMutatesTheNestedClassesTheWholePackageRunWould() {
        assertEquals("io.capybara.mig.*", MutationCommand.targetClasses("mig", null));
        assertEquals("io.capybara.mig.Origin,io.capybara.mig.Origin$*,io.capybara.mig.Target,io.capybara.mig.Target$*",
                MutationCommand.targetClasses("mig", List.of("Origin", "Target")));
    }

    @Test
    void timeoutsCountAsKilledNonViableAsNothingAndSurvivorsAreListed(@TempDir Path dir) throws Exception {
        Path xml = dir.resolve("mutations.xml");
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mutations>\n");
        String[][] rows = {{"KILLED", "a", "10"}, {"KILLED", "b", "11"}, {"TIMED_OUT", "c", "12"},
            {"MEMORY_ERROR", "d", "13"}, {"SURVIVED", "e", "14"}, {"NO_COVERAGE", "f", "15"},
            {"NON_VIABLE", "g", "16"}, {"RUN_ERROR", "h", "17"}};
        for (String[] r : rows) {
            sb.append("<mutation detected='").append(!r[0].equals("SURVIVED")).append("' status='").append(r[0])
                    .append("'><mutatedClass>io.capybara.tcp.Seq</mutatedClass><mutatedMethod>").append(r[1])
                    .append("</mutatedMethod><lineNumber>").append(r[2]).append("</lineNumber>")
                    .append("<mutator>org.pitest.mutationtest.engine.gregor.mutators.MathMutator</mutator>")
                    .append("<description>Replaced integer addition with subtraction</description></mutation>\n");
        }
        Files.writeString(xml, sb.append("</mutations>\n"));
        Path survivors = dir.resolve("survivors.txt");
        MutationCommand.Score s = MutationCommand.parse(xml, survivors);
        assertEquals(4, s.killed());
        assertEquals(2, s.timedOut());
        assertEquals(1, s.survived());
        assertEquals(1, s.noCoverage());
        assertEquals(1, s.runError());
        assertEquals(7, s.total(), "non-viable mutants never ran: not in the total");
        assertEquals(4.0 / 7, s.score(), 1e-12);
        assertEquals(List.of("SURVIVED io.capybara.tcp.Seq.e:14 MathMutator: Replaced integer addition with subtraction",
                "NO_COVERAGE io.capybara.tcp.Seq.f:15 MathMutator: Replaced integer addition with subtraction"),
                Files.readAllLines(survivors));
    }
}
