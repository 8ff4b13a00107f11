// Exits 0 once an admin client can list the broker's topics, 2 when the broker refuses the
// client's credentials, 1 otherwise.
// Run by kafka.sh as a single-file source program against the fetched jars,
// so the readiness check needs nothing beyond Java and the broker's own client.
// With KAFKA_CLIENT_USERNAME and KAFKA_CLIENT_PASSWORD in the environment it authenticates with
// SASL/SCRAM-SHA-512 (kafka.sh, KAFKA_SECURITY=sasl); the password never goes on a command line.
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;

public class Ready {
    static void sasl(Properties props) {
        String user = System.getenv("KAFKA_CLIENT_USERNAME");
        String password = System.getenv("KAFKA_CLIENT_PASSWORD");
        if (user == null || user.isEmpty()) {
            return;
        }
        props.put("security.protocol", "SASL_PLAINTEXT");
        props.put("sasl.mechanism", "SCRAM-SHA-512");
        // kafka.sh admits only letters, digits and ._~- in names and passwords: nothing to escape.
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"" + user + "\" password=\"" + password + "\";");
    }

    public static void main(String[] args) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        sasl(props);
        try (Admin admin = Admin.create(props)) {
            admin.listTopics().names().get(5, TimeUnit.SECONDS);
            System.exit(0);
        } catch (ExecutionException e) {
            System.exit(e.getCause() instanceof AuthenticationException ? 2 : 1);
        } catch (Exception e) {
            System.exit(1);
        }
    }
}
