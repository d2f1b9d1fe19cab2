import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./components/App";
import { ChatProvider } from "./components/useChat";
import { registerServiceWorker } from "./lib/push";
import { ChatStore, type Config } from "./lib/store";
import "./index.css";

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById("root") as HTMLElement);
  let config: Config;
  try {
    // One build serves every stage: the URLs come from the deployment, not the bundle.
    const response = await fetch("/config.json", { cache: "no-store" });
    config = (await response.json()) as Config;
  } catch {
    root.render(
      <p className="p-6">The app could not load its settings (/config.json). Reload to try again.</p>,
    );
    return;
  }
  // Notifications need it; without it (a private window, say) the app works all the same.
  registerServiceWorker();
  const store = new ChatStore(config);
  store.start();
  root.render(
    <StrictMode>
      <ChatProvider store={store}>
        <App />
      </ChatProvider>
    </StrictMode>,
  );
}

void boot();
