// Gives the application principal its password and exactly the ACLs of engage-acls.txt.
// Run by kafka.sh (KAFKA_SECURITY=sasl) as a single-file source program against the fetched jars,
// after the broker answers, as the admin (a super user):
//
//   java -cp 'libs/*' Access.java <bootstrap> <acl file>
//
// Environment: KAFKA_CLIENT_USERNAME and KAFKA_CLIENT_PASSWORD (the admin), KAFKA_APP_USERNAME,
// KAFKA_APP_PASSWORD and KAFKA_APP_WORKER_ID (the application). Passwords stay off command lines.
//
// The application's SCRAM credential is set again on every start, so that the password in the
// environment is the one that works (a restart is how the local broker rotates it). Its ACLs are
// made equal to the file: missing ones are created, any other ACL of the principal is deleted.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

public class Access {
    static String env(String name) {
        String value = System.getenv(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " is not set");
        }
        return value;
    }

    /** The bindings the file grants the principal, with {worker_id} replaced. */
    static List<AclBinding> wanted(Path file, String principal, String workerId) throws Exception {
        List<AclBinding> bindings = new ArrayList<>();
        for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length != 4) {
                throw new IllegalArgumentException(file + ": expected 4 fields in: " + line);
            }
            ResourceType type = ResourceType.fromString(fields[0].toUpperCase(Locale.ROOT));
            PatternType pattern = PatternType.fromString(fields[1].toUpperCase(Locale.ROOT));
            if (type == ResourceType.UNKNOWN || pattern == PatternType.UNKNOWN) {
                throw new IllegalArgumentException(file + ": unknown resource or pattern in: " + line);
            }
            String name = fields[2].replace("{worker_id}", workerId);
            for (String op : fields[3].split(",")) {
                AclOperation operation = AclOperation.fromString(op.toUpperCase(Locale.ROOT));
                if (operation == AclOperation.UNKNOWN) {
                    throw new IllegalArgumentException(file + ": unknown operation " + op);
                }
                bindings.add(new AclBinding(
                        new ResourcePattern(type, name, pattern),
                        new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
            }
        }
        return bindings;
    }

    public static void main(String[] args) throws Exception {
        String appUser = env("KAFKA_APP_USERNAME");
        String principal = "User:" + appUser;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        props.put("security.protocol", "SASL_PLAINTEXT");
        props.put("sasl.mechanism", "SCRAM-SHA-512");
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"" + env("KAFKA_CLIENT_USERNAME") + "\" password=\""
                + env("KAFKA_CLIENT_PASSWORD") + "\";");
        List<AclBinding> wanted = wanted(Path.of(args[1]), principal, env("KAFKA_APP_WORKER_ID"));
        try (Admin admin = Admin.create(props)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(
                    appUser, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                    env("KAFKA_APP_PASSWORD")))).all().get(30, TimeUnit.SECONDS);
            AclBindingFilter ofPrincipal = new AclBindingFilter(ResourcePatternFilter.ANY,
                    new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY));
            Set<AclBinding> existing = new HashSet<>(admin.describeAcls(ofPrincipal).values().get(30, TimeUnit.SECONDS));
            List<AclBindingFilter> extra = new ArrayList<>();
            for (AclBinding binding : existing) {
                if (!wanted.contains(binding)) {
                    extra.add(binding.toFilter());
                }
            }
            List<AclBinding> missing = new ArrayList<>();
            for (AclBinding binding : wanted) {
                if (!existing.contains(binding)) {
                    missing.add(binding);
                }
            }
            if (!extra.isEmpty()) {
                admin.deleteAcls(extra).all().get(30, TimeUnit.SECONDS);
            }
            if (!missing.isEmpty()) {
                admin.createAcls(missing).all().get(30, TimeUnit.SECONDS);
            }
            System.out.println(principal + ": " + wanted.size() + " ACLs (" + missing.size() + " created, "
                    + extra.size() + " removed); SCRAM-SHA-512 credential set");
        }
    }
}
