package dev.phantom.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.PhantomService;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class PolicyCompilerServiceTest {

  @Test
  void isFoundByTheServiceLoader() {
    assertThat(ServiceLoader.load(PhantomService.class).stream().map(ServiceLoader.Provider::get))
        .anySatisfy(s -> {
          assertThat(s).isInstanceOf(PolicyCompilerService.class);
          assertThat(s.role()).isEqualTo("policy");
          assertThat(s.startOrder()).isEqualTo(10);
        });
  }
}
