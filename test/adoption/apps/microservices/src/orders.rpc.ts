import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { CurrentPrincipal, RequireScopes, type Principal } from '@tokenfence/revocation-guard';
import { OrdersService, type OrderCreated } from './orders.service.js';
import { TOPICS } from './topics.js';

@Controller()
export class OrdersRpc {
  constructor(private readonly orders: OrdersService) {}

  @MessagePattern(TOPICS.get)
  get(@Payload() data: { id: string }, @CurrentPrincipal() principal: Principal) {
    return this.orders.get(principal.sub, data.id);
  }

  @MessagePattern(TOPICS.audit)
  @RequireScopes('admin')
  audit() {
    return { audit: true };
  }

  // <string>: Nest 12 types further parameters of a plain @EventPattern(pattern) as unknown
  @EventPattern<string>(TOPICS.created)
  created(@Payload() data: OrderCreated, @CurrentPrincipal() principal: Principal) {
    // runs only for a valid, unrevoked token
    this.orders.created(principal.sub, data);
  }
}
