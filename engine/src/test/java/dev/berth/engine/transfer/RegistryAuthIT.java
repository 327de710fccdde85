package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.auth.Credentials;
import dev.berth.engine.remotes.auth.DockerConfigCredentials;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.engine.testing.TokenServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Basic auth (htpasswd) and the bearer token flow against real registries. */
class RegistryAuthIT {
    static Path work;
    static BuiltImage image;

    @BeforeAll
    static void build() throws Exception {
        work = Files.createTempDirectory("berth-auth-it-");
        image = OciImageBuilder.create().layer(RegistryPullIT.randomLayer(11, 2, 5000)).build();
        image.writeLayout(work.resolve("layout"), "src");
    }

    @AfterAll
    static void clean() {
        PullFixture.deleteTree(work);
    }

    @Test
    void basicAuth() throws Exception {
        try (RegistryProcess reg = RegistryProcess.builder().basicAuth("alice", "wonder land").start()) {
            reg.push(work.resolve("layout"), "src", "private/app:1");
            Reference ref = Reference.parse(reg.host() + "/private/app:1");

            try (PullFixture anon = new PullFixture(PullFixture.fastOptions())) {
                BerthException e = assertThrows(BerthException.class, () -> anon.puller.pull(ref, PullOptions.defaults()));
                assertEquals(ErrorCategory.PERMISSION_DENIED, e.category());
                assertTrue(e.getMessage().contains("basic auth") && e.getMessage().contains(reg.host()), e.getMessage());
                anon.assertConsistent();
            }
            try (PullFixture wrong = new PullFixture(PullFixture.fastOptions()
                    .credentials(Credentials.fixed("alice", "nope")))) {
                BerthException e = assertThrows(BerthException.class, () -> wrong.puller.pull(ref, PullOptions.defaults()));
                assertEquals(ErrorCategory.PERMISSION_DENIED, e.category());
                assertTrue(e.getMessage().contains("private/app:1"), e.getMessage());
            }
            // credentials from a docker config.json file
            Path auth = work.resolve("auth.json");
            Files.writeString(auth, "{\"auths\":{\"" + reg.host() + "\":{\"auth\":\""
                    + Base64.getEncoder().encodeToString("alice:wonder land".getBytes(StandardCharsets.UTF_8)) + "\"}}}");
            try (PullFixture ok = new PullFixture(PullFixture.fastOptions().credentials(new DockerConfigCredentials(auth)))) {
                ok.puller.pull(ref, PullOptions.defaults());
                ok.assertHas(image);
                ok.assertConsistent();
            }
        }
    }

    @Test
    void tokenFlowWithCredentialsAndCache() throws Exception {
        try (RegistryProcess reg = RegistryProcess.builder().tokenAuth("bob", "builder", false).start()) {
            reg.push(work.resolve("layout"), "src", "team/app:1");
            Reference ref = Reference.parse(reg.host() + "/team/app:1");
            TokenServer ts = reg.tokenServer();

            try (PullFixture anon = new PullFixture(PullFixture.fastOptions())) {
                BerthException e = assertThrows(BerthException.class, () -> anon.puller.pull(ref, PullOptions.defaults()));
                assertEquals(ErrorCategory.PERMISSION_DENIED, e.category());
                assertTrue(e.getMessage().contains("anonymous") && e.getMessage().contains("repository:team/app:pull"),
                        e.getMessage());
            }
            int before = ts.requests().size();
            try (PullFixture ok = new PullFixture(PullFixture.fastOptions().credentials(Credentials.fixed("bob", "builder")))) {
                ok.puller.pull(ref, PullOptions.defaults());
                ok.assertHas(image);
                ok.puller.pull(ref.withTag("1"), PullOptions.defaults());
                List<TokenServer.Request> mine = ts.requests().subList(before, ts.requests().size());
                // one token for the scope, fetched once (POST password grant) and reused for every request
                assertEquals(1, mine.size(), mine.toString());
                assertEquals("POST", mine.get(0).method());
                assertEquals("bob", mine.get(0).user());
                assertEquals("repository:team/app:pull", mine.get(0).scope());
            }
        }
    }

    @Test
    void anonymousTokenFlow() throws Exception {
        try (RegistryProcess reg = RegistryProcess.builder().tokenAuth(null, null, true).start()) {
            // push as the anonymous user: the token server grants push too
            reg.push(work.resolve("layout"), "src", "public/app:1");
            try (PullFixture f = new PullFixture(PullFixture.fastOptions())) {
                f.puller.pull(Reference.parse(reg.host() + "/public/app:1"), PullOptions.defaults());
                f.assertHas(image);
                TokenServer.Request last = reg.tokenServer().requests().get(reg.tokenServer().requests().size() - 1);
                assertEquals("GET", last.method());
                assertEquals(null, last.user());
            }
        }
    }
}
