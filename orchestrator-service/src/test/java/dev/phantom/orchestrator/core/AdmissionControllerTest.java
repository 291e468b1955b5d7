package dev.phantom.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.orchestrator.core.AdmissionController.Admitted;
import dev.phantom.orchestrator.core.AdmissionController.Decision;
import dev.phantom.orchestrator.core.AdmissionController.Queued;
import dev.phantom.orchestrator.core.AdmissionController.Shed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionControllerTest {

  private static final AdmissionController.Options OPTIONS = new AdmissionController.Options(
      Duration.ofMillis(200), 3, Duration.ofSeconds(1), 4, 2, 16, Duration.ofSeconds(1));

  private final MutableClock clock = new MutableClock();
  private final AdmissionController<String> admission = new AdmissionController<>(OPTIONS, clock);

  @Test
  void calmNodesAdmitUpToTheLimitThenQueueThenShed() {
    List<Decision<String>> decisions = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      decisions.add(admission.offer("r" + i, false));
    }
    assertThat(decisions).extracting(d -> d.getClass().getSimpleName())
        .containsExactly("Admitted", "Admitted", "Admitted", "Admitted", "Queued", "Queued", "Queued", "Shed");
    Shed<String> shed = (Shed<String>) decisions.get(7);
    assertThat(shed.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(shed.reason()).contains("queue is full (3 waiting)").contains("adaptive limit is 4");
    assertThat(admission.inflight()).isEqualTo(4);
  }

  @Test
  void everyNodeUnderPressureQueuesAndShedsAfterTheWait() {
    assertThat(admission.offer("a", true)).isInstanceOf(Queued.class);
    clock.advance(Duration.ofMillis(100));
    assertThat(admission.offer("b", true)).isInstanceOf(Queued.class);
    assertThat(admission.drain(true)).isEmpty();
    clock.advance(Duration.ofMillis(100)); // a has waited 200 ms
    List<Decision<String>> changed = admission.drain(true);
    assertThat(changed).singleElement().isInstanceOfSatisfying(Shed.class, s -> {
      assertThat(s.request()).isEqualTo("a");
      assertThat(s.reason()).isEqualTo("waited 200 ms for room: every zygote node is full or over its pressure threshold");
    });
    assertThat(admission.queued()).isEqualTo(1);
    assertThat(admission.inflight()).isZero();
  }

  @Test
  void underPressureATrickleIsAdmittedAndTheRestWaits() {
    admission.pressuredLimit(2);
    assertThat(admission.offer("a", true)).isInstanceOf(Admitted.class);
    Admitted<String> b = (Admitted<String>) admission.offer("b", true);
    assertThat(admission.offer("c", true)).isInstanceOf(Queued.class);
    b.permit().succeeded();
    assertThat(admission.drain(true)).extracting(Decision::request).containsExactly("c");
  }

  @Test
  void pressureClearingAdmitsTheQueueInArrivalOrder() {
    admission.offer("a", true);
    admission.offer("b", true);
    List<Decision<String>> changed = admission.drain(false);
    assertThat(changed).extracting(Decision::request).containsExactly("a", "b");
    assertThat(changed).allSatisfy(d -> assertThat(d).isInstanceOf(Admitted.class));
    assertThat(admission.queued()).isZero();
  }

  @Test
  void drainingOneAtATimeLetsTheCallerRecheckItsRoom() {
    admission.offer("a", true);
    admission.offer("b", true);
    assertThat(admission.drain(false, 1)).extracting(Decision::request).containsExactly("a");
    assertThat(admission.drain(false, 1)).extracting(Decision::request).containsExactly("b");
  }

  @Test
  void newWorkDoesNotJumpTheQueue() {
    admission.offer("a", true);
    assertThat(admission.offer("b", false)).isInstanceOf(Queued.class);
    assertThat(admission.drain(false)).extracting(Decision::request).containsExactly("a", "b");
  }

  @Test
  void aReleasedPermitLetsTheNextWaiterIn() {
    List<Admitted<String>> running = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      running.add((Admitted<String>) admission.offer("r" + i, false));
    }
    admission.offer("waiting", false);
    assertThat(admission.drain(false)).isEmpty();
    running.get(0).permit().succeeded();
    assertThat(admission.drain(false)).extracting(Decision::request).containsExactly("waiting");
  }

  @Test
  void overloadShrinksTheLimitAndFastSuccessUnderLoadGrowsIt() {
    List<Admitted<String>> running = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      running.add((Admitted<String>) admission.offer("r" + i, false));
    }
    clock.advance(Duration.ofMillis(10));
    running.get(3).permit().succeeded(); // taken with 4 in flight at limit 4: AIMD adds one
    assertThat(admission.limit()).isEqualTo(5);
    running.get(1).permit().overloaded(); // a refusal: multiplicative decrease (0.9), floored
    assertThat(admission.limit()).isEqualTo(4);
    running.get(2).permit().ran(Duration.ofSeconds(2)); // a spawn slower than slowSpawn counts as overload too
    assertThat(admission.limit()).isEqualTo(3);
    running.get(0).permit().ignored();
    assertThat(admission.limit()).isEqualTo(3);
    assertThat(admission.inflight()).isZero();
  }

  @Test
  void aLongRunWithAFastSpawnIsNoOverload() {
    Admitted<String> admitted = (Admitted<String>) admission.offer("long", false);
    clock.advance(Duration.ofMinutes(5)); // the run itself took minutes
    admitted.permit().ran(Duration.ofMillis(5));
    assertThat(admission.limit()).isEqualTo(4);
    assertThat(admission.inflight()).isZero();
  }

  @Test
  void optionsThatCannotWorkAreRefused() {
    assertThatThrownBy(() -> new AdmissionController.Options(Duration.ofMillis(1), 1, Duration.ZERO, 1, 2, 4,
        Duration.ofSeconds(1))).hasMessageContaining("minLimit <= initialLimit");
  }
}
