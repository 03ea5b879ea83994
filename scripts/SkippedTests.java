import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * One line on the tests a run skipped and why, from surefire's XML reports:
 * {@code java scripts/SkippedTests.java target/surefire-reports target/failsafe-reports}. Run by
 * {@code ./capybara test}.
 */
public class SkippedTests {
    public static void main(String[] args) throws Exception {
        List<Path> files = new java.util.ArrayList<>();
        for (String a : args.length > 0 ? args : new String[] {"target/surefire-reports"}) {
            Path dir = Path.of(a);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).sorted().forEach(files::add);
                }
            }
        }
        if (files.isEmpty()) {
            return;
        }
        Map<String, Integer> reasons = new TreeMap<>();
        int tests = 0;
        int skipped = 0;
        var factory = DocumentBuilderFactory.newInstance();
        for (Path f : files) {
            NodeList cases = factory.newDocumentBuilder().parse(f.toFile()).getElementsByTagName("testcase");
            for (int i = 0; i < cases.getLength(); i++) {
                tests++;
                NodeList skip = ((Element) cases.item(i)).getElementsByTagName("skipped");
                if (skip.getLength() > 0) {
                    skipped++;
                    reasons.merge(reason((Element) skip.item(0)), 1, Integer::sum);
                }
            }
        }
        if (skipped == 0) {
            System.out.println("capybara test: " + tests + " tests, none skipped");
            return;
        }
        StringBuilder sb = new StringBuilder();
        reasons.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> sb.append(sb.isEmpty() ? "" : "; ").append(e.getValue()).append(" x ").append(e.getKey()));
        System.out.println("capybara test: " + tests + " tests, " + skipped + " skipped: " + sb);
    }

    /** The assumption's message without the exception's name, or "disabled". */
    static String reason(Element skipped) {
        String text = skipped.getAttribute("message");
        if (text.isBlank()) {
            text = skipped.getTextContent();
        }
        text = text.strip().lines().findFirst().orElse("");
        text = text.replaceFirst("^[\\w.$]+(Exception|Error):\\s*", "").replaceFirst("^Assumption failed:\\s*", "");
        if (text.isBlank()) {
            return "disabled";
        }
        // group by the reason's head ("needs root/CAP_NET_ADMIN: <details>"), details vary per test
        int colon = text.indexOf(": ");
        if (colon >= 8) {
            return text.substring(0, colon);
        }
        return text.length() > 100 ? text.substring(0, 100) + "..." : text;
    }
}
