package dev.tokenfence.consumer;

import com.nimbusds.jose.Header;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the tokenfence revocation topic from the beginning, verifies every message (a Security
 * Event Token, compact JWS) against the auth service's JWKS and prints one line per verified event
 * and one per refused message on stdout. Never prints a token or a key.
 *
 * <p>What is checked, as libs/contract/asyncapi.yaml says: the header's {@code alg} is
 * {@code EdDSA} (pinned: no other algorithm is accepted, {@code none} least of all), {@code typ}
 * is {@code secevent+jwt}, the {@code kid} names an event key ({@code events-...}) that the JWKS
 * publishes as an Ed25519 signing key (a kid it lacks is looked up again at most once per
 * {@link #JWKS_REFETCH_COOLDOWN}, then the message is refused), the signature verifies, the
 * {@code iss} is the expected issuer and {@code iat}, {@code jti} and exactly one {@code events}
 * member are present.
 *
 * <p>Configuration from the environment: {@code KAFKA_BROKERS}, {@code REVOCATION_TOPIC},
 * {@code AUTH_ISSUER} (the JWKS is {@code AUTH_ISSUER/.well-known/jwks.json} unless
 * {@code JWKS_URL} says otherwise).
 *
 * <p>Lines: {@code READY partitions=3}; {@code VERIFIED p=<partition> o=<offset> kid=<kid>
 * type=revocation scope=session event=<eventType> sub=<sub> sid=<sid>} (one per revocation of a
 * batch; {@code type=heartbeat}, {@code type=snapshot-marker}, {@code type=unknown} for the rest);
 * {@code REFUSED p=<partition> o=<offset> reason=<why>}.
 */
public final class RevocationTopicConsumer {
  static final String SET_TYP = "secevent+jwt";
  static final String EVENT_KEY_PREFIX = "events-";
  static final String BATCH = "https://tokenfence.dev/secevent/revocation-batch";
  static final String HEARTBEAT = "https://tokenfence.dev/secevent/heartbeat";
  static final int MAX_MESSAGE_BYTES = 1024 * 1024;
  static final Duration JWKS_REFETCH_COOLDOWN = Duration.ofSeconds(2);
  /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw 32-byte key follows. */
  private static final byte[] ED25519_SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private final String issuer;
  private final URI jwksUri;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, PublicKey> keys = new ConcurrentHashMap<>();
  private long lastFetchNanos = Long.MIN_VALUE;
  private boolean fetchedOnce = false;

  RevocationTopicConsumer(String issuer, URI jwksUri) {
    this.issuer = issuer;
    this.jwksUri = jwksUri;
  }

  public static void main(String[] args) throws Exception {
    String brokers = required("KAFKA_BROKERS");
    String topic = required("REVOCATION_TOPIC");
    String issuer = required("AUTH_ISSUER");
    String jwks = System.getenv().getOrDefault("JWKS_URL", issuer + "/.well-known/jwks.json");
    new RevocationTopicConsumer(issuer, URI.create(jwks)).run(brokers, topic);
  }

  private static String required(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      System.err.println("missing environment variable " + name);
      System.exit(2);
    }
    return value;
  }

  void run(String brokers, String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "java-revocation-consumer");
    // No group: every partition is assigned by hand and read from its beginning.
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      Thread main = Thread.currentThread();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    consumer.wakeup();
                    try {
                      main.join(5_000);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }));
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : infos) partitions.add(new TopicPartition(topic, info.partition()));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      say("READY partitions=" + partitions.size());
      while (true) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          handle(record.partition(), record.offset(), record.value());
        }
      }
    } catch (WakeupException stopping) {
      say("STOPPED");
    }
  }

  void handle(int partition, long offset, byte[] value) {
    String where = "p=" + partition + " o=" + offset;
    try {
      for (String line : verify(value)) say("VERIFIED " + where + " " + line);
    } catch (Refused refused) {
      say("REFUSED " + where + " reason=" + refused.getMessage());
    }
  }

  /** The lines describing a verified message; throws {@link Refused} for anything else. */
  List<String> verify(byte[] value) throws Refused {
    if (value == null || value.length == 0) throw new Refused("empty");
    if (value.length > MAX_MESSAGE_BYTES) throw new Refused("too-large");
    String compact = new String(value, StandardCharsets.US_ASCII);
    String[] parts = compact.split("\\.", -1);
    if (parts.length != 3) throw new Refused("not-a-jws");
    Header protectedHeader;
    try {
      protectedHeader = Header.parse(new Base64URL(parts[0]));
    } catch (java.text.ParseException | RuntimeException e) {
      throw new Refused("not-a-jws");
    }
    // Pinned: our event keys are Ed25519 and sign with EdDSA; nothing else is ever accepted.
    if (!JWSAlgorithm.EdDSA.equals(protectedHeader.getAlgorithm())) throw new Refused("algorithm");
    SignedJWT jws;
    try {
      jws = SignedJWT.parse(compact);
    } catch (java.text.ParseException | RuntimeException e) {
      throw new Refused("not-a-jws");
    }
    JWSHeader header = jws.getHeader();
    if (!new JOSEObjectType(SET_TYP).equals(header.getType())) throw new Refused("typ");
    if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
      throw new Refused("crit");
    }
    String kid = header.getKeyID();
    if (kid == null || !kid.startsWith(EVENT_KEY_PREFIX)) throw new Refused("not-an-event-key");
    PublicKey key = keyFor(kid);
    if (key == null) throw new Refused("unknown-kid");
    if (!signatureValid(key, jws)) throw new Refused("signature");

    JWTClaimsSet claims;
    try {
      claims = jws.getJWTClaimsSet();
    } catch (java.text.ParseException e) {
      throw new Refused("claims");
    }
    if (!issuer.equals(claims.getIssuer())) throw new Refused("issuer");
    if (claims.getIssueTime() == null || claims.getJWTID() == null) throw new Refused("claims");
    Object events = claims.getClaim("events");
    if (!(events instanceof Map<?, ?> map) || map.size() != 1) throw new Refused("events");
    Map.Entry<?, ?> event = map.entrySet().iterator().next();
    return describe(kid, String.valueOf(event.getKey()), event.getValue());
  }

  private static List<String> describe(String kid, String type, Object body) throws Refused {
    List<String> lines = new ArrayList<>();
    if (!(body instanceof Map<?, ?> fields)) throw new Refused("events");
    String prefix = "kid=" + kid + " ";
    if (HEARTBEAT.equals(type)) {
      lines.add(
          prefix
              + "type=heartbeat partition="
              + fields.get("partition")
              + " publishedBeforeMs="
              + fields.get("publishedBeforeMs"));
    } else if (BATCH.equals(type)) {
      if (!(fields.get("revocations") instanceof List<?> revocations)) throw new Refused("events");
      for (Object member : revocations) {
        if (!(member instanceof Map<?, ?> r)) continue;
        StringBuilder line = new StringBuilder(prefix).append("type=revocation");
        for (String field : new String[] {"scope", "eventType", "sub", "sid", "jti", "kid"}) {
          if (r.get(field) != null) {
            line.append(' ').append(field.equals("kid") ? "revokedKid" : field);
            line.append('=').append(r.get(field));
          }
        }
        lines.add(line.toString());
      }
      if (fields.get("snapshot") instanceof Map<?, ?> marker) {
        lines.add(
            prefix
                + "type=snapshot-marker id="
                + marker.get("id")
                + " part="
                + marker.get("part")
                + " last="
                + marker.get("last"));
      }
    } else {
      // A newer producer's event type: authentic, but this reader cannot enforce it.
      lines.add(prefix + "type=unknown eventType=" + type);
    }
    return lines;
  }

  private static boolean signatureValid(PublicKey key, SignedJWT jws) {
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(key);
      verifier.update(jws.getSigningInput());
      return verifier.verify(jws.getSignature().decode());
    } catch (Exception e) {
      return false;
    }
  }

  /** The event key {@code kid}; an unknown kid fetches the JWKS again, at most once per cooldown. */
  private synchronized PublicKey keyFor(String kid) {
    PublicKey key = keys.get(kid);
    if (key != null) return key;
    long now = System.nanoTime();
    if (!fetchedOnce || now - lastFetchNanos >= JWKS_REFETCH_COOLDOWN.toNanos()) {
      fetchedOnce = true;
      lastFetchNanos = now;
      fetchJwks();
    }
    return keys.get(kid);
  }

  private void fetchJwks() {
    try {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(jwksUri).timeout(Duration.ofSeconds(10)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() != 200) {
        say("JWKS status=" + answer.statusCode());
        return;
      }
      int found = 0;
      for (JWK jwk : JWKSet.parse(answer.body()).getKeys()) {
        if (!(jwk instanceof OctetKeyPair okp) || !Curve.Ed25519.equals(okp.getCurve())) continue;
        if (jwk.getKeyID() == null || !jwk.getKeyID().startsWith(EVENT_KEY_PREFIX)) continue;
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) continue;
        if (jwk.getAlgorithm() != null && !JWSAlgorithm.EdDSA.equals(jwk.getAlgorithm())) continue;
        keys.put(jwk.getKeyID(), ed25519(okp.getDecodedX()));
        found++;
      }
      say("JWKS eventKeys=" + found);
    } catch (Exception e) {
      say("JWKS error=" + e.getClass().getSimpleName());
    }
  }

  static PublicKey ed25519(byte[] raw) throws Exception {
    if (raw.length != 32) throw new IllegalArgumentException("an Ed25519 key has 32 bytes");
    ByteArrayOutputStream der = new ByteArrayOutputStream();
    der.write(ED25519_SPKI_PREFIX);
    der.write(raw);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der.toByteArray()));
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  static final class Refused extends Exception {
    Refused(String reason) {
      super(reason, null, false, false);
    }
  }
}
