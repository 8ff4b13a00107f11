// Exits 0 once an admin client can list the broker's topics, 1 otherwise.
// Run by kafka.sh as a single-file source program against the fetched jars,
// so the readiness check needs nothing beyond Java and the broker's own client.
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

public class Ready {
    public static void main(String[] args) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        try (Admin admin = Admin.create(props)) {
            admin.listTopics().names().get(5, TimeUnit.SECONDS);
            System.exit(0);
        } catch (Exception e) {
            System.exit(1);
        }
    }
}
