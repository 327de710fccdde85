package dev.berth.controller.api;

import dev.berth.controller.events.EventRecorder;
import dev.berth.crd.ObjectRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** {@code GET /events[?object=Kind/ns/name][&watch=true][&limit=N]}: recorded events, or a stream of new ones. */
public final class EventsApi {
    private final EventRecorder events;

    public EventsApi(EventRecorder events) {
        this.events = events;
    }

    public void register(ApiServer api) {
        api.route("GET", "/events", this::list);
    }

    static Map<String, Object> json(EventRecorder.Event e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("firstTimestamp", e.firstTime().toString());
        m.put("lastTimestamp", e.lastTime().toString());
        m.put("involvedObject", e.object().toString());
        m.put("type", e.type());
        m.put("reason", e.reason());
        m.put("message", e.message());
        m.put("count", e.count());
        return m;
    }

    private ApiResponse list(ApiRequest r) {
        String obj = r.query("object", null);
        ObjectRef key = obj == null ? null : ObjectRef.parse(obj);
        int limit = Integer.parseInt(r.query("limit", "500"));
        List<Map<String, Object>> items = new ArrayList<>();
        events.list(key, limit).forEach(e -> items.add(json(e)));
        if (!Boolean.parseBoolean(r.query("watch", "false"))) {
            return ApiResponse.ok(Map.of("items", items));
        }
        return ApiResponse.stream(sink -> {
            BlockingQueue<EventRecorder.Event> q = new LinkedBlockingQueue<>();
            Consumer<EventRecorder.Event> l = e -> {
                if (key == null || key.equals(e.object())) {
                    q.add(e);
                }
            };
            events.addListener(l);
            try {
                for (Map<String, Object> e : items) {
                    sink.send(e);
                }
                while (true) {
                    EventRecorder.Event e = q.poll(10, TimeUnit.SECONDS);
                    sink.send(e == null ? Map.of("type", "BOOKMARK") : json(e));
                }
            } finally {
                events.removeListener(l);
            }
        });
    }
}
